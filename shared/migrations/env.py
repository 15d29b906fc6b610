"""Alembic environment for every service database.

``shared.db.migrate`` passes the connection, the service's metadata and its version table in
``config.attributes``; there is no alembic.ini.
"""

from alembic import context

config = context.config
connection = config.attributes["connection"]

context.configure(
    connection=connection,
    target_metadata=config.attributes["target_metadata"],
    version_table=config.attributes["version_table"],
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
