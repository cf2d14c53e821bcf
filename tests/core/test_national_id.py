import random

import pytest

from vsis.core.national_id import (
    check_digit,
    generate_id,
    is_valid_taiwan_id,
    mask_id,
    normalise_id,
    sex_digit,
)


@pytest.mark.parametrize(
    "value",
    [
        "M200009015",  # from the sample files, worked by hand:
        # M=21 -> 2*1 + 1*9 = 11; 2*8+0+0+0+0+9*3+0+1*1 = 44; 11+44+5 = 60
        "M100009022",
        "A123456789",  # the textbook example
        "A800000014",  # new-style resident certificate
        "AC01234567",  # old-style resident certificate, C counts as 2
    ],
)
def test_it_accepts_valid_ids(value: str) -> None:
    assert is_valid_taiwan_id(value)


@pytest.mark.parametrize(
    "value", ["A123456788", "M200009016", "A323456789", "A12345678", "1234567890", ""]
)
def test_it_rejects_bad_ids(value: str) -> None:
    assert not is_valid_taiwan_id(value)


def test_it_normalises_case_and_spaces() -> None:
    assert normalise_id(" m100009022 ") == "M100009022"
    assert normalise_id("Ｍ１０００ ０９０２２") == "M100009022"


def test_check_digit_completes_a_prefix() -> None:
    assert check_digit("A12345678") == 9
    assert check_digit("M20000901") == 5


def test_generated_ids_are_valid_and_encode_sex() -> None:
    rng = random.Random(7)
    for sex in ("M", "F") * 50:
        value = generate_id(rng, sex)
        assert is_valid_taiwan_id(value)
        assert sex_digit(value) == sex


def test_it_masks_ids() -> None:
    assert mask_id("A123456789") == "A12****789"
