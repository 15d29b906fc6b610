"""A dataset's records, read live from its services over RPC, and searched as CKAN's
``datastore_search`` does (filters, full text ``q``, sort, limit and offset).

Nothing is copied or stored: each request asks the services again (so the records are as
fresh as the services' own answers). Only the dataset's declared columns are kept.
"""

from __future__ import annotations

from typing import Any

from gateway.opendata.catalogue import Dataset, Source
from shared.contracts.common import MAX_PAGE_SIZE
from shared.errors import ValidationFailed

MAX_PAGES = 100
"""A paged source is read at most this many pages deep (20,000 records)."""
_ID = "_id"


def _call(services: Any, source: Source, limit: int | None = None, offset: int = 0) -> dict:
    method = getattr(getattr(services, source.service), source.method)
    if source.paged == "arguments":
        return method(*source.args, limit=limit, offset=offset)
    if source.paged == "query":
        *first, query = source.args
        return method(*first, {**query, "limit": limit, "offset": offset})
    return method(*source.args)


def _source_records(services: Any, source: Source) -> list[dict[str, Any]]:
    if not source.paged:
        return list(_call(services, source)[source.key])
    records: list[dict[str, Any]] = []
    for page in range(MAX_PAGES):
        answer = _call(services, source, MAX_PAGE_SIZE, page * MAX_PAGE_SIZE)
        records.extend(answer[source.key])
        if len(records) >= answer["total"] or not answer[source.key]:
            break
    return records


def fetch(services: Any, dataset: Dataset) -> list[dict[str, Any]]:
    """Every record of ``dataset``, holding its declared columns only, in the sources' order."""
    names = [column.id for column in dataset.columns]
    records = []
    for source in dataset.sources:
        for record in _source_records(services, source):
            shaped = {**record, **source.extra}
            if dataset.shape is not None:
                shaped = dataset.shape(shaped)
            records.append({name: shaped.get(name) for name in names})
    return records


def _refuse(field: str, problem: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {problem}", fields={field: [problem]})


def _field_names(dataset: Dataset, wanted: Any) -> list[str]:
    names = [column.id for column in dataset.columns]
    if not wanted:
        return [_ID, *names]
    asked = wanted if isinstance(wanted, list) else [part.strip() for part in wanted.split(",")]
    unknown = [name for name in asked if name not in (_ID, *names)]
    if unknown:
        raise _refuse("fields", f'field "{unknown[0]}" not in resource')
    return [str(name) for name in asked]


def _matches_filters(record: dict[str, Any], filters: dict[str, Any]) -> bool:
    for name, wanted in filters.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        if str(record.get(name)) not in {str(value) for value in values}:
            return False
    return True


def _matches_text(record: dict[str, Any], q: Any) -> bool:
    """CKAN's full text: every word of ``q`` in some field (or, for a dict, in its field)."""
    if isinstance(q, dict):
        return all(
            all(word in str(record.get(name) or "").lower() for word in str(text).lower().split())
            for name, text in q.items()
        )
    text = " ".join(str(value) for value in record.values() if value is not None).lower()
    return all(word in text for word in str(q).lower().split())


def _sort_key(name: str) -> Any:
    def key(record: dict[str, Any]) -> tuple[Any, ...]:
        value = record.get(name)
        if value is None:
            return (1, 0, "")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (0, 0, value)
        return (0, 1, str(value))

    return key


def _sorted(records: list[dict[str, Any]], sort: str, names: list[str]) -> list[dict[str, Any]]:
    ordered = list(records)
    clauses = [clause.split() for clause in sort.split(",") if clause.strip()]
    for parts in reversed(clauses):  # a stable sort per clause, the last clause first
        name = parts[0].strip('"')
        direction = parts[1].lower() if len(parts) > 1 else "asc"
        if name not in names or direction not in ("asc", "desc") or len(parts) > 2:
            raise _refuse("sort", f'cannot sort by "{" ".join(parts)}"')
        ordered.sort(key=_sort_key(name), reverse=direction == "desc")
    return ordered


def datastore_search(
    dataset: Dataset, records: list[dict[str, Any]], params: dict[str, Any]
) -> dict[str, Any]:
    """``fields``, ``records`` (each with its ``_id``, 1 up, in the dataset's order) and
    ``total`` of the records matching ``filters`` and ``q``, sorted, then paged."""
    columns = {column.id: column for column in dataset.columns}
    unknown = [name for name in params["filters"] if name not in columns and name != _ID]
    if unknown:
        raise _refuse("filters", f'field "{unknown[0]}" not in resource')
    if isinstance(params["q"], dict):
        bad = [name for name in params["q"] if name not in columns]
        if bad:
            raise _refuse("q", f'field "{bad[0]}" not in resource')
    shown = _field_names(dataset, params["requested_fields"])
    numbered = [{_ID: number, **record} for number, record in enumerate(records, start=1)]
    matching = [
        record
        for record in numbered
        if _matches_filters(record, params["filters"]) and _matches_text(record, params["q"])
    ]
    ordered = _sorted(matching, params["sort"], [_ID, *columns])
    limit, offset = params["limit"], params["offset"]
    page = ordered[offset : offset + limit]
    result: dict[str, Any] = {
        "fields": [
            {"id": name, "type": "int" if name == _ID else columns[name].type} for name in shown
        ],
        "records": [{name: record[name] for name in shown} for record in page],
        "limit": limit,
        "offset": offset,
    }
    if params["include_total"]:
        result["total"] = len(matching)
    return result
