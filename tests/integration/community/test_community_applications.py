"""Applications over real RPC: each seeded affair's form is checked, and an application keeps
the affair version it was filed under when the catalogue publishes a new one."""

import base64

import pytest
from sqlalchemy.orm import Session

from services.community.handlers import catalogue
from shared.db import make_engine
from shared.errors import ValidationFailed

CARD = "3101000000000001"
ID_NUMBER = "210102199003071233"
FORM = {"last_employer": "Shenyang Tractor Works", "employment_ended_on": "2026-10-30"}


def document(community, kind: str) -> str:
    content = base64.b64encode(b"%PDF-1.7 " + kind.encode()).decode()
    return community.upload_document(CARD, kind, "application/pdf", content)["document_id"]


def file(community, code: str, form: dict, documents: list[str]) -> dict:
    payload = {"affair_code": code, "form": form, "document_ids": documents}
    return community.submit_application(CARD, ID_NUMBER, payload)


def test_every_seeded_affair_checks_its_form(community):
    codes = [item["code"] for item in community.search_affairs()["items"]]
    assert len(codes) == 4
    for code in codes:
        with pytest.raises(ValidationFailed) as refused:
            file(community, code, {"unexpected": 1}, [])
        fields = refused.value.fields
        assert "form" in fields, (code, fields)  # required fields missing
        assert any("unexpected" in problem for problem in fields["form"]), (code, fields)
    assert community.my_applications(CARD)["total"] == 0  # nothing half-written


def test_an_application_keeps_the_version_it_was_filed_under(community, community_config):
    filed = file(
        community,
        "unemployment-registration",
        FORM,
        [document(community, "termination_certificate")],
    )
    assert filed["affair_version"] == 1

    # The employment office publishes version 2: a new required field and document.
    version_2 = {
        **community.get_affair("unemployment-registration"),
        "version": 2,
        "required_documents": ["termination_certificate", "id_photo"],
    }
    version_2["form_schema"] = {
        **version_2["form_schema"],
        "required": ["last_employer", "employment_ended_on", "seeking_occupation"],
    }
    engine = make_engine(community_config["DATABASE_URLS"]["community"])
    with Session(engine) as session:
        assert catalogue.seed(session, [version_2]) == 1
        assert catalogue.seed(session, [version_2]) == 0  # seeding again adds nothing
        session.commit()
    engine.dispose()
    assert community.get_affair("unemployment-registration")["version"] == 2

    # The old application is still judged by version 1: returned, it comes back without the
    # field and the document version 2 requires.
    application_id = filed["application_id"]
    community.act_on_application("human-resources", application_id, "accept")
    community.act_on_application("human-resources", application_id, "return", "unsigned")
    again = community.resubmit_application(CARD, application_id, {"form": FORM})
    assert (again["status"], again["affair_version"]) == ("submitted", 1)

    # A new application is filed under version 2, and held to it.
    with pytest.raises(ValidationFailed) as refused:
        file(
            community,
            "unemployment-registration",
            FORM,
            [document(community, "termination_certificate")],
        )
    assert "form" in refused.value.fields


def test_a_new_version_with_an_invalid_schema_is_refused_and_nothing_is_added(
    community, community_config
):
    broken = {
        **community.get_affair("disability-certificate"),
        "version": 99,
        "form_schema": {"type": "no-such-type"},
    }
    engine = make_engine(community_config["DATABASE_URLS"]["community"])
    with Session(engine) as session:
        with pytest.raises(ValueError, match="invalid form schema"):
            catalogue.seed(session, [broken])
        session.rollback()
        # The stored versions were checked when they were added: seeding them checks nothing.
        assert catalogue.seed(session, catalogue.seed_items()) == 0
    engine.dispose()
    assert community.get_affair("disability-certificate")["version"] == 1
