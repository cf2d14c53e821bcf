"""Primary keys typed or tampered into a request."""


def is_key_text(value: object) -> bool:
    """1 to 18 ASCII digits: text int() reads and the database can compare.

    isdigit() alone admits "²", which int() refuses; past 18 digits a bigint
    comparison is an error rather than "no such row".
    """
    text = str(value)
    return text.isascii() and text.isdecimal() and len(text) <= 18
