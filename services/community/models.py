"""Tables of the community service's own database (no other service reads them)."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Metadata of the community database (sector tables come with the community feature issue)."""
