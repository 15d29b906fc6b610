"""Joint measures per list and purpose, as services/credit/rules.json sets them."""

from __future__ import annotations

import pytest

from services.credit.domain import measures_for
from shared.errors import ValidationFailed


@pytest.mark.parametrize(
    ("lists", "purpose", "expected"),
    [
        (["black"], "subsidy", [("black", "deny_subsidy")]),
        (["black"], "public_procurement", [("black", "exclude_from_procurement")]),
        (["black"], "administrative_approval", [("black", "strict_review")]),
        (["red"], "administrative_approval", [("red", "fast_track_approval")]),
        (["red"], "subsidy", [("red", "priority_subsidy")]),
        (["red"], "public_employment", []),  # the red list names no measure for hiring
        ([], "subsidy", []),
        # on both lists (possible with other rule data): black measures first
        (
            ["red", "black"],
            "administrative_approval",
            [("black", "strict_review"), ("red", "fast_track_approval")],
        ),
    ],
)
def test_measures_for_lists_and_purpose(lists, purpose, expected):
    assert measures_for(lists, purpose) == expected


@pytest.mark.parametrize("purpose", ["lottery", "", None, "Subsidy"])
def test_an_unknown_purpose_names_the_field(purpose):
    with pytest.raises(ValidationFailed) as caught:
        measures_for(["black"], purpose)
    assert list(caught.value.fields) == ["purpose"]
