"""Taiwan national ID (身分證統一編號) and resident certificate (居留證) numbers.

Both are a letter for the place of first registration and nine characters, the
last a check digit. The letter maps to a two-digit code; with the weights
1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1 the weighted digit sum is a multiple of ten.
New-style resident numbers (2021 on) put 8 or 9 in the second place; old-style
resident numbers put a letter A-D there, which counts as the last digit of its
own code.
"""

import random
import re

LETTER_CODES = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17,
    "I": 34, "J": 18, "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23,
    "Q": 24, "R": 25, "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30,
    "Y": 31, "Z": 33,
}  # fmt: skip

_CITIZEN = re.compile(r"^[A-Z][12]\d{8}$")
_RESIDENT_NEW = re.compile(r"^[A-Z][89]\d{8}$")
_RESIDENT_OLD = re.compile(r"^[A-Z][A-D]\d{8}$")
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1)


def normalise_id(text: str) -> str:
    """Upper-case, without spaces (ASCII or full-width)."""
    import unicodedata

    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def looks_like_taiwan_id(value: str) -> bool:
    """True for the shapes of a national ID or a resident certificate number."""
    return bool(
        _CITIZEN.match(value)
        or _RESIDENT_NEW.match(value)
        or _RESIDENT_OLD.match(value)
    )


def _weighted_sum(value: str) -> int:
    code = LETTER_CODES[value[0]]
    total = (code // 10) + (code % 10) * 9
    second = value[1]
    digits = [LETTER_CODES[second] % 10 if second.isalpha() else int(second)]
    digits += [int(c) for c in value[2:9]]
    total += sum(d * w for d, w in zip(digits, _WEIGHTS, strict=True))
    return total


def check_digit(first_nine: str) -> int:
    """The check digit that completes a nine-character prefix."""
    return (10 - _weighted_sum(first_nine + "0") % 10) % 10


def is_valid_taiwan_id(value: str) -> bool:
    """Shape and check digit of a normalised national ID or resident number."""
    if not looks_like_taiwan_id(value):
        return False
    return (_weighted_sum(value) + int(value[9])) % 10 == 0


def sex_digit(value: str) -> str | None:
    """'M' or 'F' as encoded in a citizen ID's second digit, else None."""
    if _CITIZEN.match(value):
        return "M" if value[1] == "1" else "F"
    if _RESIDENT_NEW.match(value):
        return "M" if value[1] == "8" else "F"
    return None


def mask_id(value: str) -> str:
    """A12****789: the first three and the last three characters shown."""
    if len(value) <= 6:
        return value[:1] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 6) + value[-3:]


def generate_id(rng: random.Random, sex: str, letter: str | None = None) -> str:
    """A made-up citizen ID with a valid check digit (for synthetic data only)."""
    first = letter or rng.choice(sorted(LETTER_CODES))
    prefix = first + ("1" if sex == "M" else "2") + f"{rng.randrange(10**7):07d}"
    return prefix + str(check_digit(prefix))
