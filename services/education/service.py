"""The education service: nameko entrypoints only; logic lives in the modules beside it."""

from pathlib import Path

from services.education.models import Base
from shared.db import Database
from shared.service import ServiceBase


class EducationService(ServiceBase):
    name = "education"
    db = Database(Base, Path(__file__).parent / "migrations")
