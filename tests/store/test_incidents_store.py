"""Incidents in storage: candidates from an indexed (country, date) range, create, update, read (every backend)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from alerts.store import Database
from alerts.store.incidents import (
    add_incident,
    country_name,
    get_incident,
    list_incidents,
    load_incident,
    lock_countries,
    merge_candidates,
    update_incident,
)
from alerts.store.tables import IncidentRow

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def add(db: Database, country: str | None, day: date, categories: list[str] | None = None) -> int:
    with db.session() as session:
        row = IncidentRow(
            version=1,
            title=f"{country} {day}",
            summary="",
            score=0.9,
            categories=categories or ["ngo"],
            event_types=["armed_attack"],
            country_code=country,
            occurred_on=day,
            organizations=[],
            evidence=[],
            first_seen=NOW,
            updated=NOW,
        )
        session.add(row)
        session.flush()
        return row.id


def test_candidates_are_same_country_within_three_days(db: Database) -> None:
    base = date(2026, 4, 10)
    inside = [add(db, "AF", base + timedelta(days=d)) for d in (-3, 0, 3)]
    add(db, "AF", base + timedelta(days=4))
    add(db, "AF", base - timedelta(days=4))
    add(db, "PK", base)
    no_country = add(db, None, base)
    with db.transaction() as tx:
        assert sorted(i.id for i in merge_candidates(tx, "AF", base)) == sorted(inside)
        assert [i.id for i in merge_candidates(tx, None, base)] == [no_country]
        assert list(merge_candidates(tx, "AF", None)) == []


def test_candidate_lookup_uses_the_country_date_index(db: Database) -> None:
    query = "SELECT id FROM incidents WHERE country_code = 'AF' AND occurred_on BETWEEN '2026-01-01' AND '2026-01-07'"
    with db.engine.connect() as conn:
        if db.is_sqlite:
            plan = " ".join(str(row[-1]) for row in conn.execute(text("EXPLAIN QUERY PLAN " + query)))
        else:
            # On a tiny table PostgreSQL rightly prefers a seq scan; forbid it to see that the index serves.
            conn.execute(text("SET enable_seqscan = off"))
            plan = " ".join(str(row[0]) for row in conn.execute(text("EXPLAIN " + query)))
    assert "ix_incidents_country_date" in plan


def test_list_and_get_incidents(db: Database) -> None:
    first = add(db, "AF", date(2026, 4, 1), ["un"])
    add(db, "SD", date(2026, 4, 2), ["health"])
    assert [i.country_code for i in list_incidents(db, country="af")] == ["AF"]
    assert [i.categories for i in list_incidents(db, category="health")] == [["health"]]
    assert len(list_incidents(db, limit=1)) == 1
    incident = get_incident(db, first)
    assert incident is not None and incident.as_record()["country"] == {"code": "AF", "name": None}
    assert get_incident(db, 999999) is None


def test_country_names_come_from_the_iso_registry() -> None:
    assert country_name("AF") == "Afghanistan"
    assert country_name("sd") == "Sudan"
    assert country_name(None) is None


def new_facts(country: str = "SO", **overrides: object) -> dict[str, object]:
    facts: dict[str, object] = {
        "title": "Aid convoy ambushed near Baidoa",
        "summary": "",
        "score": 0.8,
        "categories": ["convoy"],
        "event_types": ["armed_attack"],
        "country_code": country,
        "country_name": country_name(country),
        "occurred_on": date(2026, 4, 20),
        "organizations": [],
        "evidence": [],
    }
    facts.update(overrides)
    return facts


def test_an_added_incident_is_version_one_first_seen_now(db: Database) -> None:
    with db.transaction() as tx:
        incident_id = add_incident(tx, new_facts(killed=1), NOW)
        inside = load_incident(tx, incident_id)  # the transaction sees its own write
    assert (inside.version, inside.first_seen, inside.updated, inside.killed) == (1, NOW, NOW, 1)
    assert get_incident(db, incident_id) == inside


@pytest.mark.parametrize(
    ("new_version", "expected_version", "expected_updated"),
    [(True, 2, NOW + timedelta(hours=1)), (False, 1, NOW)],
    ids=["facts-changed-bumps-version", "quiet-facts-keep-version"],
)
def test_update_incident_copies_fields_and_bumps_the_version_only_when_asked(
    db: Database, new_version: bool, expected_version: int, expected_updated: datetime
) -> None:
    with db.transaction() as tx:
        incident_id = add_incident(tx, new_facts(), NOW)
    later = NOW + timedelta(hours=1)
    with db.transaction() as tx:
        update_incident(
            tx, incident_id, {"killed": 3, "perpetrator": "unknown gunmen"}, new_version=new_version, now=later
        )
    incident = get_incident(db, incident_id)
    assert incident is not None
    assert (incident.killed, incident.perpetrator) == (3, "unknown gunmen")
    assert (incident.version, incident.updated) == (expected_version, expected_updated)


def test_updating_or_loading_a_missing_incident_names_it(db: Database) -> None:
    with db.transaction() as tx, pytest.raises(LookupError, match="incident 424242"):
        update_incident(tx, 424242, {"killed": 1}, new_version=True, now=NOW)
    with db.transaction() as tx, pytest.raises(LookupError, match="incident 424242"):
        load_incident(tx, 424242)


def test_an_incident_written_in_a_rolled_back_transaction_is_not_stored(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as tx:
        add_incident(tx, new_facts(), NOW)
        raise RuntimeError("the batch failed after the incident was written")
    assert list_incidents(db) == []


def test_country_locks_are_held_for_the_transaction_and_any_order_of_countries(db: Database) -> None:
    # On SQLite this is a no-op; on PostgreSQL the advisory locks must not fail or deadlock with themselves.
    with db.transaction() as tx:
        lock_countries(tx, ["SO", None, "AF", "SO"])
        lock_countries(tx, ["AF"])  # re-entrant within one transaction
        add_incident(tx, new_facts(), NOW)
    assert len(list_incidents(db)) == 1
