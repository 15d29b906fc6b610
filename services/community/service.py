"""The community service: nameko entrypoints only; logic lives in the modules beside it.

Each entrypoint is one unit of work and one commit. Callers say who acts: the gateway passes
the resident's card (and ID number) or the department client's ``unit``; nothing here trusts a
unit or card from anywhere else. Approval of an affair that needs a credit check asks credit
first (``credit.check``, with a deadline); when credit cannot answer, the application waits in
``awaiting_credit_check`` and the timer below retries it. What was done after each check goes
back to credit (``credit.record_check_feedback``), retried the same way until credit has it.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from nameko.dependency_providers import Config
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy
from nameko.timer import timer
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.community.handlers import applications, catalogue, documents, grid, performance
from services.community.models import Base
from shared.clock import city_today, utcnow
from shared.contracts.common import load
from shared.contracts.community import ApplicationIn, QueueQuery, ResubmitIn
from shared.db import Database
from shared.errors import Conflict, Forbidden, GatewayTimeout, NotFound, ServiceUnavailable
from shared.rpc import call_with_deadline, consumer_rpc_timeout, rpc
from shared.service import ServiceBase

log = logging.getLogger(__name__)

CREDIT_RETRY_INTERVAL_S = 30
"""How often approvals waiting for credit, and feedback credit has not yet taken, are retried."""
CREDIT = "credit"
CREDIT_DOWN = (GatewayTimeout, ServiceUnavailable, UnknownService)
"""What a call to credit raises when credit cannot answer: no answer in time, or no queue."""


class CommunityDatabase(Database):
    """The community database, with the affairs catalogue seeded (idempotent): by ``smartcity
    migrate``, and again at start-up for a database migrated without it (tests that migrate
    in-process do seed: ``migrate_service_class``)."""

    def setup(self) -> None:
        super().setup()
        self.seed(self.engine)

    def seed(self, engine: Engine) -> None:
        items = catalogue.seed_items()
        with Session(engine) as session:
            try:
                added = catalogue.seed(session, items)
                session.commit()
            except IntegrityError:  # another instance seeded the same versions just now
                session.rollback()
                added = 0
        if added:
            log.info("affairs catalogue: %d version(s) added", added)


class CommunityService(ServiceBase):
    name = "community"
    db = CommunityDatabase(Base, Path(__file__).parent / "migrations")
    credit = RpcProxy(CREDIT)
    config = Config()

    def _today(self) -> date:
        # COMMUNITY_TODAY pins the calendar day (tests and demos of time limits); else today.
        pinned = self.config.get("COMMUNITY_TODAY")
        return date.fromisoformat(pinned) if pinned else city_today()

    @property
    def _documents_dir(self) -> Path:
        return documents.documents_dir(self.config)

    # --- catalogue ------------------------------------------------------------------------------

    @rpc
    def search_affairs(
        self, q: str | None = None, category: str | None = None, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        return catalogue.search(self.db.session, q, category, limit, offset)

    @rpc
    def get_affair(self, code: str, version: int | None = None) -> dict[str, Any]:
        return catalogue.affair_view(catalogue.find(self.db.session, code, version))

    @rpc
    def time_limit_performance(self) -> dict[str, Any]:
        """Per affair: decided (within its time limit or not) and open (overdue or not)
        applications, counts only (``shared.contracts.community.TimeLimitPerformance``)."""
        return performance.time_limit_performance(self.db.session, self._today(), utcnow())

    # --- documents ------------------------------------------------------------------------------

    @rpc
    def upload_document(
        self, card: str, kind: str, content_type: str, content_base64: str
    ) -> dict[str, Any]:
        content = documents.decode(content_type, content_base64)
        document = documents.store(
            self.db.session, self._documents_dir, card, kind, content_type, content
        )
        self.db.record_access(card, "write", "community_document", kind)
        self.db.commit()
        return documents.view(document)

    @rpc
    def my_document(self, card: str, document_id: str) -> dict[str, Any]:
        document = documents.find(self.db.session, document_id)
        if document.owner_card != card:
            raise NotFound("no such document")
        return self._read_document(document)

    @rpc
    def unit_document(
        self, unit: str | None, application_id: str, document_id: str
    ) -> dict[str, Any]:
        """A document attached to an application the unit handles (else 404)."""
        app = applications.for_unit(self.db.session, unit, application_id)
        if str(document_id) not in app.document_ids:
            raise NotFound("no such document on this application")
        return self._read_document(documents.find(self.db.session, document_id))

    def _read_document(self, document: Any) -> dict[str, Any]:
        content = documents.read(self._documents_dir, document)
        self.db.record_access(document.owner_card, "read", "community_document", document.kind)
        self.db.commit()
        return {**documents.view(document), "content_base64": content}

    # --- the resident's applications ------------------------------------------------------------

    @rpc
    def submit_application(self, card: str, id_number: str, payload: Any) -> dict[str, Any]:
        payload = load(ApplicationIn, payload)
        result = applications.submit(self.db, card, id_number, payload, self._today(), utcnow())
        self.db.commit()
        return result

    @rpc
    def my_applications(self, card: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        result = applications.mine(self.db, card, limit, offset, self._today())
        self.db.commit()
        return result

    @rpc
    def my_application(self, card: str, application_id: str) -> dict[str, Any]:
        result = applications.my_application(self.db, card, application_id, self._today())
        self.db.commit()
        return result

    @rpc
    def resubmit_application(self, card: str, application_id: str, payload: Any) -> dict:
        payload = load(ResubmitIn, payload)
        result = applications.resubmit(self.db, card, application_id, payload, self._today())
        self.db.commit()
        return result

    # --- the handling unit ----------------------------------------------------------------------

    @rpc
    def unit_queue(self, unit: str | None, query: Any) -> dict[str, Any]:
        result = applications.queue(self.db, unit, load(QueueQuery, query), self._today())
        self.db.commit()
        return result

    @rpc
    def unit_application(self, unit: str | None, application_id: str) -> dict[str, Any]:
        result = applications.unit_application(self.db, unit, application_id, self._today())
        self.db.commit()
        return result

    @rpc
    def act_on_application(
        self, unit: str | None, application_id: str, action: str, reason: str | None = None
    ) -> dict[str, Any]:
        """accept, review, approve, reject or return; 409 naming the state if not open."""
        app = applications.for_unit(self.db.session, unit, application_id, lock=True)
        purpose = applications.credit_purpose(self.db.session, app, action)
        check, error = self._check_credit(app, purpose) if purpose else (None, None)
        result = applications.act(
            self.db, app, action, reason, self._today(), utcnow(), check, error
        )
        self.db.commit()
        self._send_feedback()
        return result

    def _check_credit(self, app: Any, purpose: str) -> tuple[dict | None, str | None]:
        try:
            check = call_with_deadline(
                self.credit.check,
                "individual",
                app.id_number,
                purpose,
                self.name,
                timeout=consumer_rpc_timeout(self.config),
                service=CREDIT,
            )
        except CREDIT_DOWN as exc:
            log.warning("credit check of application %s failed: %s", app.id, exc)
            return None, str(exc)
        return check, None

    # --- retrying what credit could not take ----------------------------------------------------

    @timer(interval=CREDIT_RETRY_INTERVAL_S)
    def retry_credit_work(self) -> None:
        self.retry_pending_credit_work()

    @rpc
    def retry_pending_credit_work(self) -> dict[str, int]:
        """Decide the approvals that waited for credit, send the feedback credit lacks."""
        settled = 0
        for app in applications.awaiting_credit(self.db.session):
            affair = catalogue.find(self.db.session, app.affair_code, app.affair_version)
            check, _error = self._check_credit(app, affair.credit_purpose)
            if check is None:
                break  # credit still down: the next run tries again
            applications.settle_awaiting(self.db, app, check, self._today(), utcnow())
            self.db.commit()
            settled += 1
        return {"settled": settled, "feedback_sent": self._send_feedback()}

    def _send_feedback(self) -> int:
        sent = 0
        for feedback in applications.pending_feedback(self.db.session):
            try:
                call_with_deadline(
                    self.credit.record_check_feedback,
                    feedback.check_id,
                    self.name,
                    feedback.action_taken,
                    feedback.note,
                    timeout=consumer_rpc_timeout(self.config),
                    service=CREDIT,
                )
            except CREDIT_DOWN as exc:
                log.warning("credit feedback on check %s waits: %s", feedback.check_id, exc)
                break
            except Conflict:
                pass  # credit has it already (an earlier send whose answer was lost)
            feedback.sent_at = utcnow()
            self.db.commit()
            sent += 1
        return sent

    # --- the grid -------------------------------------------------------------------------------

    @rpc
    def put_cell(self, unit: str | None, cell_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """The grid centre (a grid client without a unit) defines cells; workers do not."""
        if unit is not None:
            raise Forbidden("only the grid centre defines grid cells, not a grid worker")
        result = grid.put_cell(self.db.session, cell_id, data)
        self.db.commit()
        return result

    @rpc
    def list_cells(self, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return grid.cells(self.db.session, limit, offset)

    @rpc
    def locate(self, lon: float, lat: float) -> dict[str, Any]:
        return grid.locate(self.db.session, lon, lat)

    @rpc
    def report_incident(self, data: dict[str, Any]) -> dict[str, Any]:
        result = grid.report(self.db, data, utcnow())
        self.db.commit()
        return result

    @rpc
    def my_incidents(self, card: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        result = grid.my_incidents(self.db, card, limit, offset, utcnow())
        self.db.commit()
        return result

    @rpc
    def grid_incidents(self, unit: str | None, query: dict[str, Any]) -> dict[str, Any]:
        return grid.incidents(self.db.session, unit, query, utcnow())

    @rpc
    def act_on_incident(
        self, unit: str | None, incident_id: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        actor = str(self.db.context.get("actor") or "community")
        result = grid.act(self.db.session, unit, incident_id, data, actor, utcnow())
        self.db.commit()
        return result

    @rpc
    def incident_statistics(self, unit: str | None) -> dict[str, Any]:
        return grid.statistics(self.db.session, unit, utcnow())
