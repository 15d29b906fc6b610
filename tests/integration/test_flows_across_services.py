"""Flows that cross departments, every service real: traffic → credit → platform."""

import datetime as dt

import eventlet
from helpers import wait_for
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy.orm import Session

from services.credit.service import CreditService
from services.platform.service import PlatformService
from services.traffic import parking
from services.traffic.service import TrafficService
from shared.db import make_engine
from shared.errors import NotFound

RESIDENT_ID = "210102199003071233"
HOUR = dt.timedelta(hours=1)


def start(runner_factory, config, service_cls):
    runner_factory(config, service_cls).start()
    return config


def test_repeated_no_shows_become_exactly_one_credit_record(service_config, runner_factory):
    platform = start(runner_factory, service_config("platform"), PlatformService)
    credit = start(runner_factory, service_config("credit"), CreditService)
    traffic = start(runner_factory, service_config("traffic"), TrafficService)
    with ClusterRpcProxy(platform) as cluster:
        card = cluster.platform.register_resident(
            {
                "name": "Li Lei",
                "id_number": RESIDENT_ID,
                "phone": "13812345678",
                "password": "correct horse battery",
            }
        )["card_number"]
    with ClusterRpcProxy(traffic) as cluster:
        cluster.traffic.add_lot(
            "traffic",
            {
                "lot_id": "P1",
                "name": "Zhongjie car park",
                "lat": 41.80,
                "lon": 123.43,
                "capacity": 5,
                "price_per_hour": "6.00",
                "operator_credit_code": "91110000802100433B",
            },
        )

    # Three reservations in the last 30 days, none taken up (booked an hour before each).
    sweep_at = dt.datetime.now(dt.UTC).replace(microsecond=0) - HOUR
    engine = make_engine(traffic["DATABASE_URLS"]["traffic"])
    with Session(engine) as session:
        for start_at in (sweep_at - 20 * 24 * HOUR, sweep_at - 3 * 24 * HOUR, sweep_at - HOUR):
            parking.reserve(session, "P1", card, start_at, start_at + HOUR, start_at - HOUR)
        session.commit()
    engine.dispose()

    with ClusterRpcProxy(traffic) as cluster:
        first = cluster.traffic.sweep_no_shows(sweep_at.isoformat())
        again = cluster.traffic.sweep_no_shows()
    assert first["marked"] == 3 and len(first["penalties"]) == 1
    assert again == {"marked": 0, "penalties": []}

    def credit_records():
        with ClusterRpcProxy(credit) as cluster:
            try:
                return cluster.credit.subject_report("individual", RESIDENT_ID)["records"]
            except NotFound:  # no file until the penalty event has been handled
                return []

    records = wait_for(credit_records, timeout=20)
    eventlet.sleep(1)  # anything else on its way would have arrived by now
    records = credit_records()
    assert [(r["department"], r["source_record_id"]) for r in records] == [
        ("traffic", first["penalties"][0])
    ]
    assert records[0]["polarity"] == "negative"
