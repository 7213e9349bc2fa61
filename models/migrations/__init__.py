"""Alembic migrations of the device's local store (named, recorded in ``alembic_version``)."""
