"""Tables of the tourism service's own database (no other service reads them)."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Metadata of the tourism database (sector tables come with the tourism feature issue)."""
