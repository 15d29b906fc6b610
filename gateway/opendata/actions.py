"""CKAN's read actions over the catalogue, by name (``ACTIONS``), each with its parameters'
contract. Semantics follow ``ckan.logic.action.get``: ``package_list`` and ``tag_list`` give
names, ``package_search`` pages with ``rows``/``start`` and answers ``count`` and
``results``, ``organization_list`` gives names unless ``all_fields``, and ``datastore_search``
pages records with ``limit``/``offset``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError

from gateway.opendata import metadata, records
from gateway.opendata.catalogue import DATASETS, ORGANIZATIONS
from shared.contracts.opendata import (
    DatastoreSearchIn,
    HelpShowIn,
    IdIn,
    OrganizationListIn,
    OrganizationShowIn,
    PackageListIn,
    PackageSearchIn,
    TagListIn,
)
from shared.errors import NotFound, ValidationFailed


@dataclass(frozen=True)
class Context:
    services: Any
    base_url: str
    """The gateway's URL as the client reached it (``http://host:port/``)."""
    now: str
    """The moment of the answer, UTC without offset as CKAN writes times."""


def _packages(context: Context) -> list[dict[str, Any]]:
    return [metadata.package_dict(d, context.base_url, context.now) for d in DATASETS]


def _page(items: list[Any], offset: int, limit: int | None) -> list[Any]:
    return items[offset : None if limit is None else offset + limit]


def package_list(params: dict[str, Any], context: Context) -> list[str]:
    names = sorted(dataset.name for dataset in DATASETS)
    return _page(names, params["offset"], params.get("limit"))


def package_search(params: dict[str, Any], context: Context) -> dict[str, Any]:
    found = [
        package
        for package in _packages(context)
        if metadata.matches(package, params["q"], "q")
        and metadata.matches(package, params["fq"], "fq")
    ]
    ordered = metadata.sort_packages(found, params["sort"])
    return {
        "count": len(found),
        "sort": params["sort"],
        "results": _page(ordered, params["start"], params["rows"]),
        "facets": {},
        "search_facets": {},
    }


def package_show(params: dict[str, Any], context: Context) -> dict[str, Any]:
    dataset = metadata.find_dataset(params["id"])
    return metadata.package_dict(dataset, context.base_url, context.now)


def resource_show(params: dict[str, Any], context: Context) -> dict[str, Any]:
    dataset, _resource = metadata.find_resource(params["id"])
    (found,) = [
        resource
        for resource in metadata.resources(dataset, context.base_url, context.now)
        if resource["id"] == params["id"]
    ]
    return found


def organization_list(params: dict[str, Any], context: Context) -> list[Any]:
    clause = params["sort"].split()
    field = clause[0] if clause else "title"
    if field not in ("name", "title", "package_count") or (
        len(clause) > 1 and clause[1].lower() not in ("asc", "desc")
    ):
        raise ValidationFailed(
            "sort: cannot sort by it", fields={"sort": ["name, title or package_count"]}
        )
    found = [metadata.organization_dict(organization) for organization in ORGANIZATIONS]
    found.sort(key=lambda org: org[field], reverse=len(clause) > 1 and clause[1].lower() == "desc")
    found = _page(found, params["offset"], params.get("limit"))
    return found if params["all_fields"] else [org["name"] for org in found]


def organization_show(params: dict[str, Any], context: Context) -> dict[str, Any]:
    organization = metadata.find_organization(params["id"])
    result = metadata.organization_dict(organization)
    if params["include_datasets"]:
        result["packages"] = [
            metadata.package_dict(d, context.base_url, context.now)
            for d in DATASETS
            if d.organization == organization.name
        ]
    return result


def tag_list(params: dict[str, Any], context: Context) -> list[Any]:
    names = sorted({tag for dataset in DATASETS for tag in dataset.tags})
    if params.get("query"):
        names = [name for name in names if params["query"].lower() in name]
    if params["all_fields"]:
        return [metadata.tag_dict(name) for name in names]
    return names


def datastore_search(params: dict[str, Any], context: Context) -> dict[str, Any]:
    dataset, resource = metadata.find_resource(params["resource_id"])
    if not resource["datastore_active"]:
        raise NotFound("Resource is not in the datastore", fields={"resource_id": ["not a table"]})
    found = records.datastore_search(dataset, records.fetch(context.services, dataset), params)
    offset, limit = params["offset"], params["limit"]
    action = "/api/3/action/datastore_search"
    return {
        "resource_id": params["resource_id"],
        "include_total": params["include_total"],
        **found,
        "_links": {
            "start": f"{action}?resource_id={params['resource_id']}&limit={limit}",
            "next": f"{action}?resource_id={params['resource_id']}"
            f"&limit={limit}&offset={offset + limit}",
        },
    }


def help_show(params: dict[str, Any], context: Context) -> str:
    if params["name"] not in ACTIONS:
        raise NotFound("Not found", fields={"name": [f"no action {params['name']}"]})
    return ACTIONS[params["name"]].help


@dataclass(frozen=True)
class Action:
    params: type[Schema]
    handler: Callable[[dict[str, Any], Context], Any]
    help: str
    """What ``help_show`` answers (in CKAN, the action's docstring; not here: the services run
    with ``-OO``, which drops docstrings)."""


ACTIONS: dict[str, Action] = {
    "package_list": Action(
        PackageListIn,
        package_list,
        "Names of every dataset, sorted; paged with limit and offset.",
    ),
    "package_search": Action(
        PackageSearchIn,
        package_search,
        "Datasets matching q and fq (words, field:value), sorted, paged with rows and "
        "start; answers count and results.",
    ),
    "package_show": Action(
        IdIn,
        package_show,
        "One dataset by name or id, with its resources, licence, organisation and update time.",
    ),
    "resource_show": Action(
        IdIn,
        resource_show,
        "One resource (CSV or JSON) by id.",
    ),
    "organization_list": Action(
        OrganizationListIn,
        organization_list,
        "Departments that publish datasets, sorted and paged; details with all_fields.",
    ),
    "organization_show": Action(
        OrganizationShowIn,
        organization_show,
        "One department by name or id, with its datasets unless include_datasets is false.",
    ),
    "tag_list": Action(
        TagListIn,
        tag_list,
        "Every tag of the datasets; those containing query, when given.",
    ),
    "datastore_search": Action(
        DatastoreSearchIn,
        datastore_search,
        "Records of a CSV or JSON resource (both hold the dataset's table): filters, q, "
        "sort, limit and offset; answers fields, records and total.",
    ),
    "help_show": Action(
        HelpShowIn,
        help_show,
        "What an action does, by name.",
    ),
}


def run(name: str, data: dict[str, Any], context: Context) -> Any:
    """The action's result; ``NotFound`` for an unknown action, ``ValidationFailed`` naming
    each bad parameter (CKAN's "Missing value" for a required one)."""
    action = ACTIONS.get(name)
    if action is None:
        raise NotFound(f"Action name not known: {name}", fields={"action": ["not known"]})
    try:
        params = action.params().load(data)
    except ValidationError as exc:
        problems = {
            field: ["Missing value" if "required" in str(p).lower() else str(p) for p in listed]
            if isinstance(listed, list)
            else [str(listed)]
            for field, listed in exc.messages.items()  # type: ignore[union-attr]
        }
        raise ValidationFailed("invalid parameters", fields=problems) from None
    return action.handler(params, context)
