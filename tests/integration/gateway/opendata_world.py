"""A city with demo-like data behind the open-data portal: every sector service and the
gateway running, residents with ID numbers, cards, names and phones, enterprises on the
credit lists (and a resident on the black list), a timetable, lots, venues and a ticket,
an application, health records and a published exam. The personal data it registers is kept
in ``PersonalData`` for the scans of ``test_gateway_open_data_privacy.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from services.community.service import CommunityService
from services.credit.service import CreditService
from services.education.service import EducationService
from services.health.service import HealthService
from services.platform.service import PlatformService
from services.tourism.service import TourismService
from services.traffic.importer import import_feed
from services.traffic.service import TrafficService
from shared.clock import city_today
from shared.db import make_engine
from smartcity import demo
from smartcity.demo import ENTERPRISES, RESIDENTS, SECTOR_DEMOS

SAMPLE_GTFS = Path(demo.__file__).parent / "demo_data" / "sample_gtfs.zip"
SERVICES = (
    PlatformService,
    CreditService,
    TrafficService,
    TourismService,
    CommunityService,
    HealthService,
    EducationService,
)
EXTRA_RESIDENT = {"name": "Zhang Wei", "id_number": "210102198511201044", "phone": "13700001111"}
TODAY = city_today()
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8


@dataclass
class PersonalData:
    """What the city knows of people, none of which open data may show."""

    id_numbers: list[str] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def _record(subject_type: str, subject_id: str, serial: str, **overrides) -> dict:
    return {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "source_record_id": f"OPEN-{serial}",
        "category": "administrative_penalty",
        "polarity": "negative",
        "severity": "severe",
        "basis": "Shenyang Transport Bureau decision 2026-117",
        "decided_on": (TODAY - timedelta(days=30)).isoformat(),
        "valid_until": (TODAY + timedelta(days=700)).isoformat(),
        **overrides,
    }


def build(stack_factory) -> tuple[object, PersonalData, dict[str, str]]:
    stack = stack_factory(SERVICES, RATE_LIMIT_PER_CLIENT=100_000, RATE_LIMIT_PER_IP=100_000)
    people = PersonalData()
    keys = {
        name: stack.client(role, dept, tuple(scopes), unit)
        for name, (role, dept, scopes, unit) in demo.CLIENTS.items()
    }
    tokens = []
    for resident in (*RESIDENTS, EXTRA_RESIDENT):
        card, token = stack.resident(resident["id_number"], resident["name"], resident["phone"])
        tokens.append(token)
        people.cards.append(card)
        people.id_numbers.append(resident["id_number"])
        people.names.append(resident["name"])
        people.phones.append(resident["phone"])
    for enterprise in ENTERPRISES:
        _ok(
            stack.call(
                "POST", "/api/v1/registry/legal-entities", keys["operator"], json=enterprise
            ),
            201,
        )
        people.names.append(enterprise["legal_representative"])  # a natural person
    people.names.append("Anna Schmidt")  # the tourism demo's visitor
    people.documents.append("C01X00T47")

    engine = make_engine(stack.configs["traffic"]["DATABASE_URLS"]["traffic"])
    with Session(engine) as session:
        import_feed(session, SAMPLE_GTFS, name="sample")
        session.commit()
    engine.dispose()
    for lot in demo._parking_lots():
        _ok(stack.call("POST", "/api/v1/traffic/parking/lots", keys["traffic"], json=lot), 201)
    _ok(
        stack.call(
            "PUT",
            "/api/v1/traffic/parking/lots/DEMO-P1/occupancy",
            keys["traffic"],
            json={"occupied": 30},
        )
    )

    # The credit lists: an enterprise black-listed, another red-listed, a resident black-listed.
    black, red = ENTERPRISES[0], ENTERPRISES[1]
    _ok(
        stack.call(
            "POST",
            "/api/v1/credit/records",
            keys["traffic"],
            json=_record("enterprise", black["credit_code"], "B1"),
        ),
        201,
    )
    for serial in ("R1", "R2"):
        body = _record(
            "enterprise",
            red["credit_code"],
            serial,
            category="commendation",
            polarity="positive",
            severity="minor",
            basis="City commendation",
        )
        _ok(stack.call("POST", "/api/v1/credit/records", keys["traffic"], json=body), 201)
    _ok(
        stack.call(
            "POST",
            "/api/v1/credit/records",
            keys["traffic"],
            json=_record("individual", people.cards[2], "I1"),
        ),
        201,
    )

    for sector in SECTOR_DEMOS:
        sector.load(stack.url, keys, people.cards[:2])

    # A ticket and an application, each a resident's own.
    booking = {"venue_id": "DEMO-PALACE", "visit_date": TODAY.isoformat(), "visitors": 2}
    _ok(stack.call("POST", "/api/v1/tourism/me/tickets", tokens[0], json=booking), 201)
    document = _ok(
        stack.call(
            "POST",
            "/api/v1/community/me/documents",
            tokens[1],
            params={"kind": "termination_certificate"},
            data=PDF,
            headers={"Content-Type": "application/pdf"},
        ),
        201,
    )
    form = {"last_employer": "Shenyang Tractor Works", "employment_ended_on": "2026-10-30"}
    body = {
        "affair_code": "unemployment-registration",
        "form": form,
        "document_ids": [document["document_id"]],
    }
    _ok(stack.call("POST", "/api/v1/community/me/applications", tokens[1], json=body), 201)
    return stack, people, keys
