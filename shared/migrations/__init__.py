"""Alembic environment shared by every service (each keeps its own versions folder)."""
