"""Copy every row from one aidwatch database to another (moving from SQLite to PostgreSQL).

Moving without the seen entries would make the first poll treat every entry still in the feeds as
new and alert subscribers again; moving without the outbox would drop pending alerts. So the whole
state moves, table by table in foreign-key order, into a freshly migrated, empty target.
"""

from __future__ import annotations

from sqlalchemy import Connection, Integer, func, select, text

from alerts.store.engine import Database
from alerts.store.migrate import upgrade
from alerts.store.tables import Base

BATCH = 1000


class CopyError(RuntimeError):
    """The copy cannot start (e.g. the target already holds data)."""


def copy_database(source: Database, target: Database) -> dict[str, int]:
    """Copy all tables from ``source`` into ``target`` (migrated first, must be empty); rows per table."""
    upgrade(source)
    upgrade(target)
    tables = Base.metadata.sorted_tables
    with target.engine.connect() as conn:
        busy = [t.name for t in tables if conn.execute(select(func.count()).select_from(t)).scalar()]
    if busy:
        raise CopyError(f"the target database is not empty (tables with rows: {', '.join(busy)})")
    copied: dict[str, int] = {}
    with source.engine.connect() as reader, target.engine.begin() as writer:
        for table in tables:
            count = 0
            result = reader.execution_options(yield_per=BATCH).execute(select(table))
            for batch in result.partitions(BATCH):
                writer.execute(table.insert(), [dict(row._mapping) for row in batch])
                count += len(batch)
            copied[table.name] = count
        if writer.dialect.name == "postgresql":
            _advance_sequences(writer)
    return copied


def _advance_sequences(writer: Connection) -> None:
    # Rows arrived with their ids; the serial sequences must continue after them.
    for table in Base.metadata.sorted_tables:
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
                writer.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                        f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                    )
                )
