"""FHIR R4B resources: validation (with the FHIR path of every fault), the value sets the
service relies on, and the search columns each resource is indexed by.

``fhir.resources`` checks structure and data types; it does not enforce required bindings,
so the codes this service acts on are checked here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from shared.contracts.health import CARD_NUMBER_SYSTEM, RESOURCE_TYPES
from shared.errors import NotFound, Unprocessable, ValidationFailed

ID_PATTERN = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")

VALUE_SETS: dict[tuple[str, str], tuple[str, ...]] = {
    ("Patient", "gender"): ("male", "female", "other", "unknown"),
    ("Consent", "status"): (
        "draft",
        "proposed",
        "active",
        "rejected",
        "inactive",
        "entered-in-error",
    ),
    ("Encounter", "status"): (
        "planned",
        "arrived",
        "triaged",
        "in-progress",
        "onleave",
        "finished",
        "cancelled",
        "entered-in-error",
        "unknown",
    ),
    ("Observation", "status"): (
        "registered",
        "preliminary",
        "final",
        "amended",
        "corrected",
        "cancelled",
        "entered-in-error",
        "unknown",
    ),
    ("MedicationStatement", "status"): (
        "active",
        "completed",
        "entered-in-error",
        "intended",
        "stopped",
        "on-hold",
        "unknown",
        "not-taken",
    ),
    ("DocumentReference", "status"): ("current", "superseded", "entered-in-error"),
}
PROVISION_TYPES = ("deny", "permit")

PATIENT_REFERENCE = {
    "Encounter": "subject",
    "Observation": "subject",
    "Condition": "subject",
    "MedicationStatement": "subject",
    "AllergyIntolerance": "patient",
    "DocumentReference": "subject",
    "Consent": "patient",
}
"""Where each record type names its patient (a ``Reference`` to ``Patient/<id>``)."""

DATE_ELEMENTS = {
    "Encounter": ("period.start",),
    "Observation": ("effectiveDateTime", "effectivePeriod.start", "issued"),
    "Condition": ("recordedDate", "onsetDateTime"),
    "MedicationStatement": ("effectiveDateTime", "effectivePeriod.start", "dateAsserted"),
    "AllergyIntolerance": ("recordedDate", "onsetDateTime"),
    "DocumentReference": ("date",),
    "Consent": ("dateTime",),
    "Patient": ("birthDate",),
}
CODE_ELEMENTS = {
    "Encounter": "type.0",
    "Observation": "code",
    "Condition": "code",
    "MedicationStatement": "medicationCodeableConcept",
    "AllergyIntolerance": "code",
    "DocumentReference": "type",
}
CATEGORY_ELEMENTS = {
    "Observation": "category.0",
    "Condition": "category.0",
    "MedicationStatement": "category",
    "DocumentReference": "category.0",
    "Encounter": "class",
    "AllergyIntolerance": "category.0",
}


@dataclass(frozen=True)
class Indexed:
    """The columns a stored resource is searched and checked by."""

    patient_id: str | None
    category: str | None
    code: str | None
    date: datetime | None


def require_known_type(resource_type: str) -> None:
    if resource_type not in RESOURCE_TYPES:
        raise NotFound(
            f"resource type {resource_type} is not supported here",
            fields={resource_type: [f"supported: {', '.join(RESOURCE_TYPES)}"]},
        )


def validated(resource_type: str, data: Any, resource_id: str | None = None) -> dict[str, Any]:
    """The resource as valid FHIR R4B JSON, or ``ValidationFailed`` whose fields are FHIR paths
    (``Observation.code.coding[0].system``) with what is wrong there."""
    require_known_type(resource_type)
    if not isinstance(data, dict):
        raise ValidationFailed(
            "a resource must be a JSON object", fields={resource_type: ["not an object"]}
        )
    if data.get("resourceType") != resource_type:
        raise ValidationFailed(
            f"resourceType must be {resource_type}",
            fields={f"{resource_type}.resourceType": [f"expected {resource_type}"]},
        )
    if resource_id is not None and data.get("id") not in (None, resource_id):
        raise ValidationFailed(
            "the id in the body differs from the id in the URL",
            fields={f"{resource_type}.id": [f"expected {resource_id}"]},
        )
    # Imported here: fhir.resources and pydantic's models are for the FHIR write paths alone.
    import pydantic
    from fhir.resources.R4B import get_fhir_model_class

    try:
        model = get_fhir_model_class(resource_type).model_validate(data)
    except pydantic.ValidationError as exc:
        faults: dict[str, list[str]] = {}
        for error in exc.errors():
            faults.setdefault(fhir_path(resource_type, error["loc"]), []).append(error["msg"])
        raise ValidationFailed(f"invalid {resource_type}", fields=faults) from None
    except (ValueError, TypeError) as exc:  # the library's own checks outside pydantic
        raise ValidationFailed(
            f"invalid {resource_type}: {exc}", fields={resource_type: [str(exc)]}
        ) from None
    resource = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    _check_value_sets(resource_type, resource)
    return resource


def fhir_path(resource_type: str, location: tuple[Any, ...]) -> str:
    """A pydantic error location as a FHIRPath-like expression."""
    path = resource_type
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in ("__root__",):
            path += f".{str(part).removesuffix('__ext')}"
    return path


def _check_value_sets(resource_type: str, resource: dict[str, Any]) -> None:
    faults = {
        f"{resource_type}.{element}": [f"must be one of {', '.join(codes)}"]
        for (kind, element), codes in VALUE_SETS.items()
        if kind == resource_type and element in resource and resource[element] not in codes
    }
    if resource_type == "Consent":
        provision = resource.get("provision", {})
        if provision.get("type") not in PROVISION_TYPES:
            faults["Consent.provision.type"] = ["must be permit or deny"]
    if faults:
        raise ValidationFailed(
            f"invalid {resource_type}: code outside its value set", fields=faults
        )


def element(resource: dict[str, Any], dotted: str) -> Any:
    """``element(r, "category.0")``: a nested value, or None."""
    value: Any = resource
    for part in dotted.split("."):
        if isinstance(value, list):
            value = value[int(part)] if part.isdigit() and int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def first_code(concept: Any) -> str | None:
    """The first coding's code of a CodeableConcept (or a Coding, or a plain code)."""
    if isinstance(concept, str):
        return concept
    if not isinstance(concept, dict):
        return None
    if "code" in concept:
        return concept["code"]
    codings = concept.get("coding") or []
    return codings[0].get("code") if codings else None


def referenced_id(reference: Any, resource_type: str) -> str | None:
    """``{"reference": "Patient/p1"}`` → ``"p1"`` (None for another type or no reference)."""
    if not isinstance(reference, dict):
        return None
    parts = str(reference.get("reference", "")).rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == resource_type and ID_PATTERN.match(parts[-1]):
        return parts[-1]
    return None


def index(resource_type: str, resource: dict[str, Any]) -> Indexed:
    """The search columns of a validated resource; a record must name its Patient."""
    patient_id = None
    if resource_type in PATIENT_REFERENCE:
        where = PATIENT_REFERENCE[resource_type]
        patient_id = referenced_id(resource.get(where), "Patient")
        if patient_id is None:
            raise Unprocessable(
                f"{resource_type}.{where} must reference a Patient",
                fields={f"{resource_type}.{where}": ["a reference Patient/<id> is required"]},
            )
    moment = next(
        (
            parse_moment(value)
            for path in DATE_ELEMENTS.get(resource_type, ())
            if (value := element(resource, path))
        ),
        None,
    )
    code_path = CODE_ELEMENTS.get(resource_type)
    category_path = CATEGORY_ELEMENTS.get(resource_type)
    return Indexed(
        patient_id=patient_id,
        category=first_code(element(resource, category_path)) if category_path else None,
        code=first_code(element(resource, code_path)) if code_path else None,
        date=moment,
    )


def parse_moment(value: str) -> datetime:
    """A FHIR date or dateTime (``2024``, ``2024-05``, ``2024-05-06``, with a time) as an aware
    time (a value without an offset is taken as UTC)."""
    if re.fullmatch(r"\d{4}", value):
        moment = datetime(int(value), 1, 1)
    elif re.fullmatch(r"\d{4}-\d{2}", value):
        moment = datetime(int(value[:4]), int(value[5:]), 1)
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        moment = datetime.combine(date.fromisoformat(value), time())
    else:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def card_number_of(patient: dict[str, Any]) -> str | None:
    """The citizen card number in a Patient's identifiers (system ``CARD_NUMBER_SYSTEM``)."""
    for identifier in patient.get("identifier", []):
        if identifier.get("system") == CARD_NUMBER_SYSTEM and identifier.get("value"):
            return identifier["value"]
    return None


@dataclass(frozen=True)
class Demographics:
    gender: str | None
    birth_date: date | None
    district: str | None


def demographics(patient: dict[str, Any]) -> Demographics:
    birth = patient.get("birthDate")
    addresses = patient.get("address") or [{}]
    return Demographics(
        gender=patient.get("gender"),
        birth_date=parse_moment(birth).date() if birth else None,
        district=addresses[0].get("district"),
    )
