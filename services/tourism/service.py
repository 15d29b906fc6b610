"""The tourism service: nameko entrypoints only; logic lives in the modules beside it."""

from pathlib import Path

from services.tourism.models import Base
from shared.db import Database
from shared.service import ServiceBase


class TourismService(ServiceBase):
    name = "tourism"
    db = Database(Base, Path(__file__).parent / "migrations")
