"""The health service: nameko entrypoints only; logic lives in the modules beside it."""

from pathlib import Path

from services.health.models import Base
from shared.db import Database
from shared.service import ServiceBase


class HealthService(ServiceBase):
    name = "health"
    db = Database(Base, Path(__file__).parent / "migrations")
