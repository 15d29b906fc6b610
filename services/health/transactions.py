"""FHIR ``transaction`` Bundles: many writes, all or none.

Entries run in order inside the worker's one unit of work; the first entry that fails
fails the whole Bundle (nothing is committed), its error's fields prefixed with
``Bundle.entry[<i>]``. An entry may reference an earlier one by its ``fullUrl``
(``urn:uuid:...``), as FHIR clients build a Patient and its records in one Bundle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.health import handlers
from services.health.domain.access import Caller
from services.health.domain.resources import ID_PATTERN, require_known_type
from shared.contracts.health import MAX_BUNDLE_ENTRIES
from shared.db import UnitOfWork
from shared.errors import PayloadTooLarge, SmartCityError, ValidationFailed


def transaction(
    uow: UnitOfWork,
    caller: Caller,
    bundle: Any,
    now: datetime,
    verify_card: handlers.CardCheck,
) -> dict[str, Any]:
    """Write every entry of a ``transaction`` Bundle: the ``transaction-response`` Bundle."""
    entries = _entries(bundle)
    local_ids: dict[str, str] = {}
    answers = []
    for index, entry in enumerate(entries):
        where = f"Bundle.entry[{index}]"
        resource_type = str((entry.get("resource") or {}).get("resourceType", ""))
        try:
            resource_type, resource_id = _target(entry, where)
            body = _resolved(entry.get("resource"), local_ids)
            stored, created = handlers.write(
                uow, caller, resource_type, body, now, verify_card, resource_id
            )
        except SmartCityError as exc:
            fields = {_in_entry(where, resource_type, key): v for key, v in exc.fields.items()}
            raise type(exc)(
                f"{where}: {exc.message}", fields=fields or {where: [exc.message]}, extra=exc.extra
            ) from None
        if entry.get("fullUrl"):
            local_ids[entry["fullUrl"]] = f"{stored['resourceType']}/{stored['id']}"
        version = stored["meta"]["versionId"]
        answers.append(
            {
                "fullUrl": entry.get("fullUrl") or f"{stored['resourceType']}/{stored['id']}",
                "resource": stored,
                "response": {
                    "status": "201 Created" if created else "200 OK",
                    "location": f"{stored['resourceType']}/{stored['id']}",
                    "etag": f'W/"{version}"',
                    "lastModified": stored["meta"]["lastUpdated"],
                },
            }
        )
    return {"resourceType": "Bundle", "type": "transaction-response", "entry": answers}


def _in_entry(where: str, resource_type: str, path: str) -> str:
    """``Observation.status`` of entry 1 → ``Bundle.entry[1].resource.status``."""
    if resource_type and path.startswith(f"{resource_type}."):
        return f"{where}.resource.{path.removeprefix(resource_type + '.')}"
    return f"{where}.{path}"


def _entries(bundle: Any) -> list[dict[str, Any]]:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise ValidationFailed("expected a Bundle", fields={"Bundle.resourceType": ["Bundle"]})
    if bundle.get("type") != "transaction":
        raise ValidationFailed(
            "only transaction Bundles are accepted here",
            fields={"Bundle.type": ["must be transaction"]},
        )
    entries = bundle.get("entry") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValidationFailed(
            "Bundle.entry must be a list of entries",
            fields={"Bundle.entry": ["not a list of objects"]},
        )
    if len(entries) > MAX_BUNDLE_ENTRIES:
        raise PayloadTooLarge(
            f"a Bundle holds at most {MAX_BUNDLE_ENTRIES} entries",
            fields={"Bundle.entry": [f"{len(entries)} entries; at most {MAX_BUNDLE_ENTRIES}"]},
        )
    return entries


def _target(entry: dict[str, Any], where: str) -> tuple[str, str | None]:
    """``(type, id)`` of an entry's ``request``: ``POST Type`` or ``PUT Type/id``."""
    request = entry.get("request") or {}
    method, url = request.get("method"), str(request.get("url", "")).strip("/")
    parts = url.split("/")
    if method == "POST" and len(parts) == 1:
        require_known_type(parts[0])
        return parts[0], None
    if method == "PUT" and len(parts) == 2 and ID_PATTERN.match(parts[1]):
        require_known_type(parts[0])
        return parts[0], parts[1]
    raise ValidationFailed(
        "each entry is POST <type> or PUT <type>/<id>",
        fields={"request": [f"got {method} {url[:80]}"]},
    )


def _resolved(resource: Any, local_ids: dict[str, str]) -> Any:
    """The resource with references to earlier entries' ``fullUrl`` made ``Type/id``."""
    if isinstance(resource, dict):
        return {
            key: local_ids.get(value, value)
            if key == "reference" and isinstance(value, str)
            else _resolved(value, local_ids)
            for key, value in resource.items()
        }
    if isinstance(resource, list):
        return [_resolved(item, local_ids) for item in resource]
    return resource
