"""Fixtures of the messaging fault tests, which run the small services of ``messaging_app``."""

import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared.db import make_engine

# ``messaging_app`` lives beside this folder (shared with test_reliable_messaging.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@pytest.fixture
def start(runner_factory):
    """``start(config, ServiceClass)``: a running service container (killed after the test)."""

    def make(config: dict, service_cls: type):
        runner = runner_factory(config, service_cls)
        runner.start()
        return runner

    return make


@pytest.fixture
def rows_of():
    """``rows_of(config, Model)``: every row of a table in that (migrated) service database."""
    engines: dict[str, sa.Engine] = {}

    def read(config: dict, model: type) -> list:
        (url,) = config["DATABASE_URLS"].values()
        if url not in engines:
            engines[url] = make_engine(url)
        engine = engines[url]
        with Session(engine) as session:
            return list(session.scalars(sa.select(model)).all())

    yield read
    for engine in engines.values():
        engine.dispose()
