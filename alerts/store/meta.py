"""Small key/value facts about this installation, such as the secret that signs confirmation links."""

from __future__ import annotations

from collections.abc import Callable

from alerts.store.engine import Transaction, dialect_insert
from alerts.store.tables import MetaRow


def get_or_create_value(tx: Transaction, key: str, make_value: Callable[[], str]) -> str:
    """The value stored under ``key``, created with ``make_value()`` on first use.

    Race-free across daemons sharing the database: insert-if-absent, then re-read, so whichever daemon
    wrote first wins and every daemon ends up with the same value.
    """
    row = tx.get(MetaRow, key)
    if row is None:
        tx.execute(
            dialect_insert(tx)(MetaRow)
            .values(key=key, value=make_value())
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = tx.get(MetaRow, key)
        assert row is not None  # inserted just now, or by the daemon that won the race
    return row.value
