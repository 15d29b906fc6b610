"""Locating the grid cell of a point: inside, on a shared border or corner, outside."""

import pytest

from services.community.domain.geometry import cell_of_point, polygon_of
from shared.errors import ValidationFailed


def square(x0: float, y0: float, size: float = 1.0) -> dict:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


# Two cells side by side sharing the border x = 1; listed in reverse id order on purpose.
CELLS = [("HP-02", square(1, 0)), ("HP-01", square(0, 0))]


def test_a_point_inside_a_cell_is_in_that_cell():
    assert cell_of_point(CELLS, 0.5, 0.5) == "HP-01"
    assert cell_of_point(CELLS, 1.5, 0.5) == "HP-02"


def test_a_point_on_the_shared_border_belongs_to_the_lowest_cell_id():
    assert cell_of_point(CELLS, 1.0, 0.5) == "HP-01"
    assert cell_of_point(list(reversed(CELLS)), 1.0, 0.5) == "HP-01"
    assert cell_of_point(CELLS, 1.0, 1.0) == "HP-01"  # a shared corner


def test_a_point_on_an_outer_border_is_in_its_cell_and_outside_is_in_none():
    assert cell_of_point(CELLS, 2.0, 0.5) == "HP-02"
    assert cell_of_point(CELLS, 2.0001, 0.5) is None
    assert cell_of_point([], 0.5, 0.5) is None


@pytest.mark.parametrize(
    "geojson",
    [
        {"type": "Point", "coordinates": [0, 0]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},  # bow tie
        {"type": "Polygon", "coordinates": "nonsense"},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, float("inf")], [0, 0]]]},
    ],
)
def test_bad_polygons_are_refused_naming_the_field(geojson):
    with pytest.raises(ValidationFailed) as raised:
        polygon_of(geojson)
    assert "polygon" in raised.value.fields
