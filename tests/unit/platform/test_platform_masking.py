"""Masking of the identifiers a profile or a registry lookup shows."""

from services.platform.domain import mask_id_number, mask_phone


def test_id_number_keeps_first_four_and_last_four():
    # 18 characters: "2101" + 10 hidden + "123X".
    assert mask_id_number("21010219900318123X") == "2101**********123X"


def test_id_number_mask_never_reveals_the_birth_date():
    masked = mask_id_number("210102199003071233")
    assert "19900307" not in masked
    assert masked == "2101**********1233"


def test_phone_keeps_first_three_and_last_four():
    # 11 digits: "138" + 4 hidden + "5678".
    assert mask_phone("13812345678") == "138****5678"
