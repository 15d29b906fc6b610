"""The community service: nameko entrypoints only; logic lives in the modules beside it."""

from pathlib import Path

from services.community.models import Base
from shared.db import Database
from shared.service import ServiceBase


class CommunityService(ServiceBase):
    name = "community"
    db = Database(Base, Path(__file__).parent / "migrations")
