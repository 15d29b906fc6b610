"""The affairs catalogue: seeded from ``affairs.json``, versioned, listed and searched.

A published version is never changed: a changed item is a new entry with the next version.
``smartcity migrate`` and then every start-up add the versions the database lacks (so seeding
twice adds nothing). A version's form schema is checked when it is added: a stored version was
checked then, so a start-up after ``smartcity migrate`` checks none (and jsonschema stays out
of the process until a form is validated).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.community.domain.forms import check_schema
from services.community.models import AffairVersion
from shared.db import fetch_page
from shared.errors import NotFound

CATALOGUE_FILE = Path(__file__).parents[1] / "affairs.json"

FIELDS = (
    "code",
    "version",
    "name",
    "category",
    "unit",
    "eligibility",
    "required_documents",
    "form_schema",
    "time_limit_days",
    "credit_check",
    "credit_purpose",
    "issues_card",
    "valid_years",
)


def seed_items(path: Path = CATALOGUE_FILE) -> list[dict[str, Any]]:
    """The catalogue file's items, each with every field (a bad file fails the start-up)."""
    items = json.loads(path.read_text(encoding="utf-8"))["items"]
    for item in items:
        missing = [name for name in FIELDS if name not in item]
        if missing:
            raise ValueError(f"affair {item.get('code')}: missing {missing}")
    return items


def seed(session: Session, items: list[dict[str, Any]]) -> int:
    """Add the versions not yet stored, each form schema checked first (``ValueError``: a bad
    schema fails the migration or the start-up); returns how many were added."""
    stored = set(session.execute(select(AffairVersion.code, AffairVersion.version)).all())
    new = [item for item in items if (item["code"], item["version"]) not in stored]
    for item in new:
        check_schema(item["form_schema"], item["code"])
    added = [AffairVersion(**{name: item[name] for name in FIELDS}) for item in new]
    session.add_all(added)
    session.flush()
    return len(added)


def affair_view(affair: AffairVersion) -> dict[str, Any]:
    return {name: getattr(affair, name) for name in FIELDS}


def latest_versions() -> Any:
    """A select of the current version of each item."""
    latest = (
        select(AffairVersion.code, func.max(AffairVersion.version).label("version"))
        .group_by(AffairVersion.code)
        .subquery()
    )
    return select(AffairVersion).join(
        latest,
        (AffairVersion.code == latest.c.code) & (AffairVersion.version == latest.c.version),
    )


def search(
    session: Session, q: str | None, category: str | None, limit: int, offset: int
) -> dict[str, Any]:
    """The current version of each item, by code; ``q`` matches words of the code or name."""
    statement = latest_versions()
    if category:
        statement = statement.where(AffairVersion.category == category)
    for word in (q or "").split():
        statement = statement.where(
            or_(
                AffairVersion.code.icontains(word, autoescape=True),
                AffairVersion.name.icontains(word, autoescape=True),
            )
        )
    page = fetch_page(session, statement, AffairVersion.code, limit=limit, offset=offset)
    return {**page, "items": [affair_view(item) for item in page["items"]]}


def find(session: Session, code: str, version: int | None = None) -> AffairVersion:
    """An item's given version, or its current one; ``NotFound`` naming the code."""
    statement = select(AffairVersion).where(AffairVersion.code == code)
    if version is not None:
        statement = statement.where(AffairVersion.version == version)
    affair = session.scalars(statement.order_by(AffairVersion.version.desc()).limit(1)).first()
    if affair is None:
        what = f"version {version} of affair {code}" if version else f"affair {code}"
        raise NotFound(f"no {what} in the catalogue", fields={"affair_code": ["unknown"]})
    return affair
