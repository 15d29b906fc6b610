"""The seeded catalogue: every item's schema is valid, and each seeded affair's form is
checked, bad fields named by their path."""

import pytest

from services.community.domain.forms import check_schema, validate_form
from services.community.handlers.catalogue import seed_items
from shared.errors import ValidationFailed

ITEMS = {(item["code"], item["version"]): item for item in seed_items()}


@pytest.mark.parametrize("key", sorted(ITEMS))
def test_every_catalogue_schema_is_valid_draft_2020_12(key: tuple[str, int]) -> None:
    # Checked here for the whole file; `catalogue.seed` checks each version it adds.
    check_schema(ITEMS[key]["form_schema"], key[0])


def test_an_invalid_schema_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="affair broken: invalid form schema"):
        check_schema({"type": "no-such-type"}, "broken")


VALID = {
    "minimum-living-allowance": {
        "household_size": 3,
        "monthly_household_income_yuan": 1200,
        "address": "12 Zhongshan Road, Heping",
        "members": [{"name": "Li Xiaoming", "relation": "child"}],
    },
    "disability-certificate": {
        "disability_category": 4,
        "grade": 2,
        "assessing_hospital": "Shenyang First People's Hospital",
    },
    "unemployment-registration": {
        "last_employer": "Shenyang Tractor Works",
        "employment_ended_on": "2026-10-30",
    },
    "employment-subsidy": {
        "months_claimed": 6,
        "bank_account": "6222020400012345678",
        "flexible_work": "courier",
    },
}

INVALID = {
    "minimum-living-allowance": (
        {**VALID["minimum-living-allowance"], "members": [{"name": "X", "relation": "cousin"}]},
        "form.members.0.relation",
    ),
    "disability-certificate": ({**VALID["disability-certificate"], "grade": 5}, "form.grade"),
    "unemployment-registration": ({"employment_ended_on": "2026-10-30"}, "form"),
    "employment-subsidy": (
        {**VALID["employment-subsidy"], "bank_account": "12ab"},
        "form.bank_account",
    ),
}


def test_the_seed_has_the_pilot_items_and_a_second_version():
    codes = {code for code, _ in ITEMS}
    assert codes == set(VALID)
    assert ("employment-subsidy", 2) in ITEMS
    assert ITEMS[("disability-certificate", 1)]["issues_card"] == "disability_certificate"
    assert ITEMS[("minimum-living-allowance", 1)]["credit_check"] is True


@pytest.mark.parametrize("code", sorted(VALID))
def test_each_seeded_affair_accepts_a_good_form_and_names_the_bad_field(code):
    version = max(v for c, v in ITEMS if c == code)
    schema = ITEMS[(code, version)]["form_schema"]
    validate_form(schema, VALID[code])
    form, field = INVALID[code]
    with pytest.raises(ValidationFailed) as raised:
        validate_form(schema, form)
    assert field in raised.value.fields


def test_version_one_of_the_subsidy_has_its_own_rules():
    schema = ITEMS[("employment-subsidy", 1)]["form_schema"]
    with pytest.raises(ValidationFailed) as raised:
        validate_form(schema, VALID["employment-subsidy"])  # flexible_work is new in v2
    assert "form" in raised.value.fields


def test_non_finite_numbers_are_refused_by_path():
    schema = ITEMS[("minimum-living-allowance", 1)]["form_schema"]
    form = {**VALID["minimum-living-allowance"], "monthly_household_income_yuan": float("nan")}
    with pytest.raises(ValidationFailed) as raised:
        validate_form(schema, form)
    assert raised.value.fields == {
        "form.monthly_household_income_yuan": ["must be a finite number"]
    }
