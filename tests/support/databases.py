"""Real databases for tests: a SQLite file per test, and a throw-away schema on the local PostgreSQL.

PostgreSQL tests skip with a message when the server is absent, except under CI=true where they fail:
CI machines always run it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from alerts.store import Database, make_database, upgrade

POSTGRES_URL = os.environ.get("AIDWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def require_postgres() -> None:
    """Skip (or fail under CI=true) when PostgreSQL is not reachable."""
    reason = postgres_available()
    if reason is None:
        return
    message = f"PostgreSQL not reachable at {POSTGRES_URL} ({reason})"
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; CI must run the PostgreSQL tests")
    pytest.skip(message)


@contextmanager
def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections use a fresh, empty schema; the schema is dropped afterwards."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, pool_pre_ping=True)  # survives a server restart during the test
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def migrated_database(backend: str, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database on ``backend`` ("sqlite" or "postgresql")."""
    if backend == "sqlite":
        db = make_database(f"sqlite:///{tmp_path / 'aidwatch.db'}")
        upgrade(db)
        try:
            yield db
        finally:
            db.dispose()
        return
    with postgres_schema_url() as url:
        db = make_database(url)
        upgrade(db)
        try:
            yield db
        finally:
            db.dispose()
