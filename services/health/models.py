"""Tables of the health service's own database (no other service reads them)."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Metadata of the health database (sector tables come with the health feature issue)."""
