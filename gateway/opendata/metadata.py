"""The catalogue in CKAN's shapes: package (dataset), resource, organization and tag dicts,
and package search (``q``, ``fq``, ``sort``) over them.

Ids are stable UUIDs derived from the names (``uuid5``), so a client may keep either. Each
dataset has a CSV and a JSON resource (the same table, in the datastore too) and, for some,
files that are not tables (the GTFS feed). The records are live, so ``metadata_modified`` and
``last_modified`` are the moment of the answer.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from gateway.opendata.catalogue import (
    BY_NAME,
    CATALOGUE_CREATED,
    DATASETS,
    LICENCE,
    ORGANIZATIONS,
    ORGANIZATIONS_BY_NAME,
    Dataset,
    Organization,
)
from shared.errors import NotFound, ValidationFailed

_NAMESPACE = uuid.UUID("6f1c2d0e-5b7a-4c1e-9a53-0d5e4b7f2a10")
DOWNLOAD_PATH = "opendata/download/"
TABLE_FORMATS = {"CSV": ("csv", "text/csv"), "JSON": ("json", "application/json")}
FILE_TYPES = {"GTFS": "application/zip"}


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def organization_dict(organization: Organization) -> dict[str, Any]:
    published = [d for d in DATASETS if d.organization == organization.name]
    return {
        "id": stable_id("organization", organization.name),
        "name": organization.name,
        "title": organization.title,
        "display_name": organization.title,
        "description": organization.description,
        "type": "organization",
        "state": "active",
        "approval_status": "approved",
        "is_organization": True,
        "image_url": "",
        "created": CATALOGUE_CREATED,
        "package_count": len(published),
    }


def tag_dict(name: str) -> dict[str, Any]:
    return {"id": stable_id("tag", name), "name": name, "display_name": name, "state": "active"}


def resources(dataset: Dataset, base_url: str, now: str) -> list[dict[str, Any]]:
    package_id = stable_id("dataset", dataset.name)
    found = []
    for fmt, (extension, mimetype) in TABLE_FORMATS.items():
        found.append(
            {
                "name": f"{dataset.title} ({fmt})",
                "description": f"{dataset.title}: every record as {fmt}",
                "format": fmt,
                "mimetype": mimetype,
                "url": f"{base_url}{DOWNLOAD_PATH}{dataset.name}.{extension}",
                "datastore_active": True,
                "resource_id": stable_id("resource", dataset.name, fmt),
            }
        )
    for fmt, filename, description in dataset.files:
        found.append(
            {
                "name": filename,
                "description": description,
                "format": fmt,
                "mimetype": FILE_TYPES[fmt],
                "url": f"{base_url}{DOWNLOAD_PATH}{filename}",
                "datastore_active": False,
                "resource_id": stable_id("resource", dataset.name, fmt),
            }
        )
    return [
        {
            "id": item.pop("resource_id"),
            "package_id": package_id,
            **item,
            "state": "active",
            "created": CATALOGUE_CREATED,
            "last_modified": now,
            "metadata_modified": now,
            "position": position,
            "url_type": "",
        }
        for position, item in enumerate(found)
    ]


def package_dict(dataset: Dataset, base_url: str, now: str) -> dict[str, Any]:
    organization = ORGANIZATIONS_BY_NAME[dataset.organization]
    found = resources(dataset, base_url, now)
    return {
        "id": stable_id("dataset", dataset.name),
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.notes,
        **LICENCE,
        "metadata_created": CATALOGUE_CREATED,
        "metadata_modified": now,
        "owner_org": stable_id("organization", organization.name),
        "organization": organization_dict(organization),
        "tags": [tag_dict(tag) for tag in dataset.tags],
        "resources": found,
        "num_resources": len(found),
        "num_tags": len(dataset.tags),
        "author": organization.title,
        "maintainer": organization.title,
        "private": False,
        "state": "active",
        "type": "dataset",
        "isopen": True,
        "url": "",
        "version": "",
        "extras": [],
        "groups": [],
    }


def find_dataset(key: str) -> Dataset:
    """A dataset by name or id; ``NotFound`` else."""
    if key in BY_NAME:
        return BY_NAME[key]
    for dataset in DATASETS:
        if stable_id("dataset", dataset.name) == key:
            return dataset
    raise NotFound("Not found", fields={"id": [f"no dataset {key}"]})


def find_resource(key: str) -> tuple[Dataset, dict[str, Any]]:
    """A resource by id, with its dataset; ``NotFound`` else."""
    for dataset in DATASETS:
        for resource in resources(dataset, "", ""):
            if resource["id"] == key:
                return dataset, resource
    raise NotFound("Not found", fields={"id": [f"no resource {key}"]})


def find_organization(key: str) -> Organization:
    for organization in ORGANIZATIONS:
        if key in (organization.name, stable_id("organization", organization.name)):
            return organization
    raise NotFound("Not found", fields={"id": [f"no organization {key}"]})


# --- package search ----------------------------------------------------------------------------

_CLAUSE = re.compile(r'([+-]?)(?:(\w+):)?("[^"]*"|\S+)')
SEARCH_FIELDS = ("name", "title", "notes", "tags", "organization", "res_format", "license_id")
SORT_FIELDS = {
    "name": lambda d: d["name"],
    "title": lambda d: d["title"].lower(),
    "title_string": lambda d: d["title"].lower(),
    "metadata_modified": lambda d: d["metadata_modified"],
    "metadata_created": lambda d: d["metadata_created"],
    "score": lambda d: 0,
}


def _values(package: dict[str, Any], field: str | None) -> list[str]:
    organization = package["organization"]
    values = {
        "name": [package["name"]],
        "title": [package["title"]],
        "notes": [package["notes"]],
        "tags": [tag["name"] for tag in package["tags"]],
        "organization": [organization["name"], organization["title"]],
        "res_format": [resource["format"] for resource in package["resources"]],
        "license_id": [package["license_id"]],
    }
    if field is None:
        return [value for listed in values.values() for value in listed]
    return values[field]


def _clause_matches(package: dict[str, Any], field: str | None, term: str) -> bool:
    if term == "*":
        return True
    term = term.strip('"').lower()
    texts = [value.lower() for value in _values(package, field)]
    if field in ("name", "tags", "organization", "res_format", "license_id"):
        return term in texts  # exact values, as CKAN's string fields
    return any(term in text for text in texts)


def matches(package: dict[str, Any], query: str, parameter: str) -> bool:
    """Whether ``package`` matches every clause of ``query`` (words or ``field:value``; a
    leading ``-`` excludes). ``*:*`` and an empty query match everything."""
    for sign, field, term in _CLAUSE.findall(query.replace("*:*", "")):
        if field and field not in SEARCH_FIELDS:
            raise ValidationFailed(
                f"{parameter}: cannot search on {field}",
                fields={parameter: [f"unknown field {field}; one of {', '.join(SEARCH_FIELDS)}"]},
            )
        found = _clause_matches(package, field or None, term)
        if found == (sign == "-"):
            return False
    return True


def sort_packages(packages: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    ordered = sorted(packages, key=lambda package: package["name"])
    for clause in reversed([part.split() for part in sort.split(",") if part.strip()]):
        field, direction = clause[0], clause[1].lower() if len(clause) > 1 else "asc"
        if field not in SORT_FIELDS or direction not in ("asc", "desc"):
            raise ValidationFailed(
                f"sort: cannot sort by {' '.join(clause)}",
                fields={"sort": [f"one of {', '.join(SORT_FIELDS)}, then asc or desc"]},
            )
        ordered.sort(key=SORT_FIELDS[field], reverse=direction == "desc")
    return ordered
