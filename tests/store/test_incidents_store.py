"""Incident candidates come from an indexed (country, date) range, not a scan of every incident."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text

from alerts.store import Database
from alerts.store.incidents import candidate_rows, country_name, get_incident, list_incidents
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
    with db.session() as session:
        assert sorted(r.id for r in candidate_rows(session, "AF", base)) == sorted(inside)
        assert [r.id for r in candidate_rows(session, None, base)] == [no_country]
        assert candidate_rows(session, "AF", None) == []


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
