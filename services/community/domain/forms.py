"""Application forms checked against their affair's JSON Schema (Draft 2020-12)."""

from __future__ import annotations

import math
from typing import Any

from shared.errors import ValidationFailed

# jsonschema (with referencing, rpds and attrs: 2.4 MB resident) is imported by the functions
# below, on the first form checked, not when the service starts: `smartcity migrate` seeds the
# catalogue, so a start-up has no schema to check (bench/README.md "Memory").


def check_schema(schema: dict[str, Any], code: str) -> None:
    """A catalogue schema must itself be valid Draft 2020-12 (checked before it is stored)."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"affair {code}: invalid form schema: {exc.message}") from None


def _non_finite(value: Any, path: str) -> dict[str, list[str]]:
    """Paths of NaN and infinite numbers (JSON Schema's bounds let them through, and the
    database cannot store them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return {path: ["must be a finite number"]}
    children = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    found: dict[str, list[str]] = {}
    for key, child in children:
        found.update(_non_finite(child, f"{path}.{key}"))
    return found


def validate_form(schema: dict[str, Any], form: Any) -> None:
    """``ValidationFailed`` naming each bad field by its path (``form.members.0.relation``)."""
    from jsonschema import Draft202012Validator

    fields = _non_finite(form, "form")
    errors = sorted(Draft202012Validator(schema).iter_errors(form), key=lambda e: list(e.path))
    for error in errors:
        path = ".".join(["form", *(str(part) for part in error.absolute_path)])
        fields.setdefault(path, []).append(error.message[:300])
    if not fields:
        return
    first = next(iter(fields))
    raise ValidationFailed(f"invalid form: {first}: {fields[first][0]}", fields=fields)
