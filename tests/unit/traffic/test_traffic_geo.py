"""Distances, bearings, walking times and stop descriptions (services/traffic/geo.py)."""

import math

import pytest

from services.traffic.domain import geo


def test_one_degree_of_latitude_is_pi_r_over_180():
    # On a sphere of radius R = 6 371 008.8 m one degree of arc is pi * R / 180 = 111 195.08 m,
    # along a meridian and along the equator alike.
    expected = math.pi * 6_371_008.8 / 180
    assert geo.haversine_m(10, 20, 11, 20) == pytest.approx(expected, abs=0.01)
    assert geo.haversine_m(0, 20, 0, 21) == pytest.approx(111_195.08, abs=0.01)


def test_haversine_matches_the_published_nashville_to_los_angeles_distance():
    # Rosetta Code's haversine task: BNA (36.12, -86.67) to LAX (33.94, -118.40) is
    # 2887.2599506 km on a sphere of radius 6372.8 km; distance scales with the radius.
    expected = 2_887_259.9506 * 6_371_008.8 / 6_372_800
    assert geo.haversine_m(36.12, -86.67, 33.94, -118.40) == pytest.approx(expected, abs=0.01)


def test_bearing_of_due_north_east_south_and_west():
    assert geo.bearing_deg(0, 0, 1, 0) == pytest.approx(0)
    assert geo.bearing_deg(0, 0, 0, 1) == pytest.approx(90)
    assert geo.bearing_deg(0, 0, -1, 0) == pytest.approx(180)
    assert geo.bearing_deg(0, 0, 0, -1) == pytest.approx(270)
    # A small step 0.001° north and 0.001° east at the equator, where a degree of latitude and
    # of longitude are equally long: tan(bearing) = 1, so the bearing is 45°.
    assert geo.bearing_deg(0, 0, 0.001, 0.001) == pytest.approx(45, abs=1e-3)


@pytest.mark.parametrize(
    ("bearing", "point", "word"),
    [
        (0, "N", "north"),
        (22, "N", "north"),
        (23, "NE", "north-east"),
        (128, "SE", "south-east"),
        (180, "S", "south"),
        (250, "W", "west"),
        (300, "NW", "north-west"),
        (350, "N", "north"),
        (-90, "W", "west"),
    ],
)
def test_compass_points(bearing, point, word):
    assert geo.compass_point(bearing) == point
    assert geo.compass_word(bearing) == word


def test_walking_minutes_round_up_at_1_3_metres_per_second():
    # 78 m / 1.3 m/s = 60 s exactly: 1 minute; 79 m is 60.8 s: 2 minutes.
    assert geo.walking_minutes(0) == 0
    assert geo.walking_minutes(78) == 1
    assert geo.walking_minutes(79) == 2
    assert geo.walking_minutes(1000) == 13  # 769.2 s = 12.8 min


def test_bounding_box_contains_the_circle():
    box = geo.bounding_box(60, 10, 1000)
    # 1000 m is 1000 / 111 195.08 = 0.008993° of latitude; at 60° a degree of longitude is
    # half as long, so the box is about twice as wide in degrees.
    assert box.max_lat - 60 == pytest.approx(0.008993, abs=1e-6)
    assert box.max_lon - 10 == pytest.approx(2 * 0.008993, rel=0.01)
    east = (60, 10 + 0.999 * 1000 / (111_195.08 * math.cos(math.radians(60))))
    assert geo.haversine_m(60, 10, *east) < 1000
    assert box.min_lon < east[1] < box.max_lon


def test_bounding_box_takes_every_longitude_at_the_antimeridian_and_poles():
    across = geo.bounding_box(0, 179.999, 1000)
    polar = geo.bounding_box(89.995, 0, 1000)
    assert (across.min_lon, across.max_lon) == (-180, 180)
    assert (polar.min_lon, polar.max_lon, polar.max_lat) == (-180, 180, 90)
