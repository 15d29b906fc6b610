"""Parking summed by district (pure)."""

from services.traffic.domain.parking import UNASSIGNED_DISTRICT, district_loads


def test_lots_sum_by_district_and_lots_without_one_are_unassigned():
    loads = district_loads(
        [
            ("Shenhe", 100, 30),
            ("Heping", 50, 50),
            ("Shenhe", 100, 70),
            (None, 10, 1),
            ("Faku", 0, 0),
        ]
    )
    assert [(x.district, x.lots, x.capacity, x.occupied) for x in loads] == [
        ("Faku", 1, 0, 0),
        ("Heping", 1, 50, 50),
        ("Shenhe", 2, 200, 100),
        (UNASSIGNED_DISTRICT, 1, 10, 1),
    ]
    assert [x.occupancy_rate for x in loads] == [None, 1.0, 0.5, 0.1]


def test_a_count_above_capacity_counts_as_full():
    (load,) = district_loads([("Tiexi", 10, 12)])
    assert (load.occupied, load.occupancy_rate) == (10, 1.0)
