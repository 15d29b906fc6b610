"""Tables of the education service's own database (no other service reads them)."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Metadata of the education database (sector tables come with the education feature issue)."""
