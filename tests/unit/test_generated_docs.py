"""The committed docs are what the code generates (run `smartcity docs` after a change)."""

from pathlib import Path

from smartcity.docs import events_markdown, openapi_json

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_event_catalogue_doc_is_current():
    assert (DOCS / "events.md").read_text() == events_markdown()


def test_openapi_doc_is_current():
    assert (DOCS / "openapi.json").read_text() == openapi_json()
