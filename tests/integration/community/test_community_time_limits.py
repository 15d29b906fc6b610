"""Time-limit performance over real RPC: counts per affair of decided (in time or late) and
open (overdue or not) applications, never an application or an applicant."""

import base64
import datetime as dt
import json

from sqlalchemy import update
from sqlalchemy.orm import Session

from services.community.models import Application
from shared.db import make_engine

CARD = "3101000000000001"
ID_NUMBER = "210102199003071233"
FORM = {"last_employer": "Shenyang Tractor Works", "employment_ended_on": "2026-10-30"}
AFFAIR = "unemployment-registration"


def _file(community) -> str:
    content = base64.b64encode(b"%PDF-1.7 termination").decode()
    document = community.upload_document(
        CARD, "termination_certificate", "application/pdf", content
    )["document_id"]
    payload = {"affair_code": AFFAIR, "form": FORM, "document_ids": [document]}
    return community.submit_application(CARD, ID_NUMBER, payload)["application_id"]


def _decide(community, application_id: str, action: str) -> None:
    community.act_on_application("human-resources", application_id, "accept")
    community.act_on_application("human-resources", application_id, "review")
    community.act_on_application("human-resources", application_id, action, "checked")


def test_time_limit_performance_counts_each_affair(community, community_config):
    before = community.time_limit_performance()
    codes = [item["affair"] for item in before["affairs"]]
    assert codes == sorted({item["code"] for item in community.search_affairs()["items"]})
    assert all(item["within_limit_rate"] is None for item in before["affairs"])

    in_time, late, rejected, open_overdue, open_fresh = (_file(community) for _ in range(5))
    _decide(community, in_time, "approve")
    _decide(community, late, "approve")
    _decide(community, rejected, "reject")
    engine = make_engine(community_config["DATABASE_URLS"]["community"])
    long_ago = dt.date(2020, 1, 6)
    with Session(engine) as session:  # the clock moved on: these limits ran out long ago
        session.execute(
            update(Application)
            .where(Application.id.in_([late, open_overdue]))
            .values(due_on=long_ago)
        )
        session.commit()
    engine.dispose()

    result = community.time_limit_performance()

    assert dt.datetime.fromisoformat(result["as_of"]).tzinfo is not None
    (row,) = [item for item in result["affairs"] if item["affair"] == AFFAIR]
    assert row == {
        "affair": AFFAIR,
        "title": community.get_affair(AFFAIR)["name"],
        "department": "human-resources",
        "decided": 3,
        "decided_within_limit": 2,
        "open": 2,
        "open_overdue": 1,
        "within_limit_rate": round(2 / 3, 4),
    }
    others = [item for item in result["affairs"] if item["affair"] != AFFAIR]
    assert {item["decided"] + item["open"] for item in others} == {0}
    text = json.dumps(result)
    assert CARD not in text and ID_NUMBER not in text and open_fresh not in text
