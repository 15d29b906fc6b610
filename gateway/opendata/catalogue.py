"""The open-data catalogue: one row per dataset, naming the RPC its records come from and the
columns it publishes. Adding a dataset is adding a row to ``DATASETS``.

Only the columns a row declares ever leave the gateway: a record's other keys (a service may
answer with more) are dropped before anything is rendered, so a column holding personal data
cannot slip out by a service adding it to its answer. Every source is an aggregate or a public
register: counts, stops, lots, venues, the affairs catalogue, the legal entities on the
published credit lists (public by law, 公示), suppressed health and exam figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LICENCE = {
    "license_id": "cc-by-4.0",
    "license_title": "Creative Commons Attribution 4.0",
    "license_url": "https://creativecommons.org/licenses/by/4.0/",
}
"""Every dataset's licence: reuse freely, naming "Smart Shenyang open data" as the source."""
CATALOGUE_CREATED = "2026-12-02T00:00:00"
"""When the catalogue was first published (CKAN's ``metadata_created``)."""


@dataclass(frozen=True)
class Organization:
    """A department publishing datasets (CKAN's organization)."""

    name: str
    title: str
    description: str


ORGANIZATIONS = (
    Organization("traffic", "Shenyang Transport Bureau", "Buses, the timetable and parking."),
    Organization("tourism", "Shenyang Culture and Tourism Bureau", "Venues and their visitors."),
    Organization(
        "credit", "Shenyang Social Credit Office", "The published red and black lists (公示)."
    ),
    Organization(
        "community", "Shenyang Civil Affairs Bureau", "Community affairs and their time limits."
    ),
    Organization("health", "Shenyang Health Commission", "Public-health statistics."),
    Organization("education", "Shenyang Education Bureau", "Exam supervision figures."),
)


@dataclass(frozen=True)
class Column:
    id: str
    type: str  # CKAN datastore types: text, int, numeric, bool
    description: str = ""


@dataclass(frozen=True)
class Source:
    """One RPC call whose answer holds records: ``<service>.<method>(*args)``, the records
    under ``key``. A paged method answers a page (``items``, ``total``) and is read to its
    end: ``paged="arguments"`` takes ``limit``/``offset`` as keyword arguments, ``"query"`` in
    its last argument (a dict). ``extra`` is added to each record (which call it came from)."""

    service: str
    method: str
    args: tuple[Any, ...] = ()
    key: str = "items"
    paged: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    organization: str
    notes: str
    tags: tuple[str, ...]
    columns: tuple[Column, ...]
    sources: tuple[Source, ...]
    files: tuple[tuple[str, str, str], ...] = ()
    """Further downloads that are not tables: ``(format, file name, description)``."""
    shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """Turns a source record into the published one (before the columns are picked)."""


def _text(name: str, description: str = "") -> Column:
    return Column(name, "text", description)


def _int(name: str, description: str = "") -> Column:
    return Column(name, "int", description)


def _num(name: str, description: str = "") -> Column:
    return Column(name, "numeric", description)


def _affair_row(affair: dict[str, Any]) -> dict[str, Any]:
    return {**affair, "required_documents": "; ".join(affair["required_documents"])}


def _health_sources() -> tuple[Source, ...]:
    dimensions = ("district", "age_band", "sex", "month", "condition", "institution")
    return tuple(
        Source("health", "statistics", (dimension,), key="cells", extra={"dimension": dimension})
        for dimension in dimensions
    )


_FIGURES = (
    Column("suppressed", "bool", "fewer than 10 students: figures withheld"),
    _int("students"),
    _num("mean", "percent of the exam's maximum"),
    _num("median"),
    _num("std_dev"),
)

DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "bus-stops",
        "Bus stops",
        "traffic",
        "Every boarding stop of the timetable in use, with its position (WGS 84). The GTFS "
        "resource is the whole timetable, regenerated from the one in use.",
        ("transport", "bus", "gtfs"),
        (_text("stop_id"), _text("name"), _num("lat"), _num("lon")),
        (Source("traffic", "stops"),),
        files=(("GTFS", "gtfs.zip", "The timetable in use as a GTFS feed (zip)"),),
    ),
    Dataset(
        "bus-routes",
        "Bus routes",
        "traffic",
        "Every route of the timetable in use, in display order.",
        ("transport", "bus"),
        (_text("route_id"), _text("short_name"), _text("long_name")),
        (Source("traffic", "routes"),),
    ),
    Dataset(
        "parking-lots",
        "Parking lots and their occupancy",
        "traffic",
        "Every registered car park with its capacity, price and latest sensor count.",
        ("transport", "parking"),
        (
            _text("lot_id"),
            _text("name"),
            _text("district"),
            _num("lat"),
            _num("lon"),
            _int("capacity"),
            _num("price_per_hour", "yuan"),
            _text("operator_credit_code", "the operator's unified social credit code"),
            _int("occupied", "latest sensor count"),
            _int("free_spaces"),
            _text("observed_at", "UTC"),
        ),
        (Source("traffic", "lots"),),
    ),
    Dataset(
        "parking-occupancy-by-district",
        "Parking occupancy by district",
        "traffic",
        "Lots, spaces and occupied spaces now, summed by district.",
        ("transport", "parking", "statistics"),
        (
            _text("district"),
            _int("lots"),
            _int("capacity"),
            _int("occupied"),
            _num("occupancy_rate", "occupied / capacity"),
        ),
        (Source("traffic", "parking_by_district", key="districts"),),
    ),
    Dataset(
        "tourism-venues",
        "Tourist venues",
        "tourism",
        "Venues on the tourism platform: opening hours, daily capacity, price, people present.",
        ("tourism", "venues"),
        (
            _text("venue_id"),
            _text("name"),
            _text("category"),
            _num("lat"),
            _num("lon"),
            _text("opens_at"),
            _text("closes_at"),
            _int("daily_capacity"),
            _num("price", "yuan"),
            _int("present", "people inside at the latest gate count"),
        ),
        (Source("tourism", "search_venues", ({},), paged="query"),),
    ),
    Dataset(
        "tourism-daily-visitors",
        "Daily visitors of tourist venues",
        "tourism",
        "Visitors booked and entered per venue and day, 90 days back to 30 days ahead.",
        ("tourism", "statistics"),
        (
            _text("venue_id"),
            _text("visit_date"),
            _int("visitors_booked"),
            _int("visitors_entered"),
        ),
        (Source("tourism", "daily_visitors", key="days"),),
    ),
    Dataset(
        "credit-red-black-lists",
        "Published red and black lists of enterprises",
        "credit",
        "Enterprises and organisations on the red (trustworthy) and black (dishonest) lists in "
        "force, as published by law (公示). Individuals are never published.",
        ("credit", "enterprises"),
        (
            _text("list", "red or black"),
            _text("credit_code", "unified social credit code"),
            _text("name"),
            _text("subject_type"),
            _text("basis"),
            _text("issuing_department"),
            _text("effective_on"),
            _text("expires_on"),
        ),
        (
            Source("credit", "published_list", ("red",), paged="arguments"),
            Source("credit", "published_list", ("black",), paged="arguments"),
        ),
    ),
    Dataset(
        "community-affairs",
        "Community affairs catalogue",
        "community",
        "The standardised community affairs: handling office, time limit, required documents.",
        ("community", "government-services"),
        (
            _text("code"),
            _int("version"),
            _text("name"),
            _text("category"),
            _text("unit", "the handling office"),
            _int("time_limit_days", "working days"),
            Column("credit_check", "bool"),
            _text("required_documents", "kinds, separated by '; '"),
        ),
        (Source("community", "search_affairs", (None, None), paged="arguments"),),
        shape=_affair_row,
    ),
    Dataset(
        "community-time-limit-performance",
        "Community affairs handled within their time limit",
        "community",
        "Per affair: applications decided (within the legal time limit or not) and open "
        "(overdue or not). Counts only.",
        ("community", "government-services", "statistics"),
        (
            _text("affair"),
            _text("title"),
            _text("department"),
            _int("decided"),
            _int("decided_within_limit"),
            _int("open"),
            _int("open_overdue"),
            _num("within_limit_rate"),
        ),
        (Source("community", "time_limit_performance", key="affairs"),),
    ),
    Dataset(
        "health-statistics",
        "Public-health statistics",
        "health",
        "Distinct residents with records per district, age band, sex, month and condition; "
        "records per institution. Cells under 10 are suppressed (count empty).",
        ("health", "statistics"),
        (
            _text("dimension"),
            _text("value"),
            _int("count"),
            Column("suppressed", "bool", "under 10: count withheld"),
        ),
        _health_sources(),
    ),
    Dataset(
        "exam-supervision",
        "Exam results by district",
        "education",
        "Published exams' scores as a percent of the maximum, per subject, grade and district. "
        "Groups under 10 students are suppressed.",
        ("education", "statistics"),
        (_text("subject"), _int("grade"), _text("district"), *_FIGURES),
        (Source("education", "supervision_by_district"),),
    ),
)

BY_NAME = {dataset.name: dataset for dataset in DATASETS}
ORGANIZATIONS_BY_NAME = {organization.name: organization for organization in ORGANIZATIONS}
