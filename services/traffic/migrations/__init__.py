"""Alembic revisions of the traffic database (branch ``traffic``), run by ``shared.db.migrate``."""
