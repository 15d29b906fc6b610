"""Is a service database at the schema this code expects? Answered without Alembic.

``smartcity migrate`` upgrades the databases in an interpreter of its own, so that a service
process never imports Alembic (11 MB above SQLAlchemy that would stay resident). The service
then only checks, at start-up, that its version table (``alembic_version_<service>``) holds
exactly the heads of the shared ``messaging`` branch and of its own versions folder. The heads
come from a tiny parse of the revision files (``revision``/``down_revision`` assignments, read
with ``ast``, nothing executed), the same files Alembic reads.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

SHARED_VERSIONS = Path(__file__).parent / "migrations" / "versions"


class SchemaNotCurrent(RuntimeError):
    """The database is not migrated to this code's heads: run ``smartcity migrate``."""


def version_table(service: str) -> str:
    return f"alembic_version_{service}"


def _revision_links(path: Path) -> tuple[str, tuple[str, ...]] | None:
    """``(revision, down_revisions)`` of one revision file, or None if it is not one."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                values[target.id] = ast.literal_eval(node.value)
    revision = values.get("revision")
    if not isinstance(revision, str):
        return None
    down = values.get("down_revision")
    if down is None:
        downs: tuple[str, ...] = ()
    elif isinstance(down, str):
        downs = (down,)
    else:
        downs = tuple(down)  # a merge revision
    return revision, downs


def expected_heads(versions_dir: Path | str) -> frozenset[str]:
    """The head revisions of the shared branch and of the service's versions folder."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for folder in (SHARED_VERSIONS, Path(versions_dir)):
        for path in sorted(folder.glob("*.py")):
            links = _revision_links(path)
            if links:
                revisions.add(links[0])
                parents.update(links[1])
    return frozenset(revisions - parents)


def current_heads(engine: Engine, service: str) -> frozenset[str] | None:
    """The revisions the database's version table holds (None: never migrated)."""
    table = version_table(service)
    with engine.connect() as conn:
        if not inspect(conn).has_table(table):
            return None
        # The table name is ours (the service's name), not input.
        rows = conn.execute(text(f'SELECT version_num FROM "{table}"')).scalars()  # noqa: S608
        return frozenset(rows)


def check_schema_current(engine: Engine, service: str, versions_dir: Path | str) -> None:
    """Raise ``SchemaNotCurrent`` (saying what to run) unless the database is at the heads."""
    wanted = expected_heads(versions_dir)
    found = current_heads(engine, service)
    if found == wanted:
        return
    state = "never migrated" if found is None else f"at {', '.join(sorted(found)) or 'nothing'}"
    raise SchemaNotCurrent(
        f"the {service} database is {state}, this code expects "
        f"{', '.join(sorted(wanted))}: run `smartcity migrate {service}` first"
    )
