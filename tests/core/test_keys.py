"""Which typed values may be looked up as a primary key."""

import pytest

from vsis.core.keys import is_key_text


@pytest.mark.parametrize("value", ["1", "42", 7, "9" * 18])
def test_digits_are_keys(value: object) -> None:
    assert is_key_text(value)


@pytest.mark.parametrize("value", ["", "²", "٣", "abc", "-1", "1.0", " 1", "9" * 19])
def test_anything_else_is_not(value: object) -> None:
    assert not is_key_text(value)
