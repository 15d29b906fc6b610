-- One database per service: no service reads another's tables (shared/config.py
-- DATABASE_URL_TEMPLATE points each service at the database named after it). Each service
-- creates its own tables with Alembic at start-up; this script only creates the databases.
--
-- The postgres image runs this once, when its data volume is empty. After adding a service,
-- create its database by hand (psql -U postgres -c 'CREATE DATABASE <name>') or recreate the
-- volume (docker compose down -v).
CREATE DATABASE traffic;
CREATE DATABASE health;
CREATE DATABASE education;
CREATE DATABASE community;
CREATE DATABASE tourism;
CREATE DATABASE credit;
CREATE DATABASE platform;
