"""Alembic versions of the platform database (branch ``platform``)."""
