"""Pure incident merge rules (alerts/incidents.py), table-driven."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from alerts.incidents import haversine_km, merge_facts, same_incident
from alerts.models import Incident, Verdict
from tests.support.alerting import make_incident

D = date(2024, 5, 10)


def _existing(**kw: object) -> Incident:
    # Only the facts the merge rules read are set; everything the tests do not name is unknown.
    base: dict[str, object] = dict(
        country_code="SS",
        country_name="South Sudan",
        occurred_on=D,
        categories=["ngo"],
        event_types=["armed_attack"],
        location_name="Bentiu",
        lat=9.23,
        lon=29.83,
        killed=2,
        injured=None,
        kidnapped=None,
        perpetrator=None,
        organizations=[],
        evidence=[],
        score=0.9,
    )
    base.update(kw)
    return make_incident(**base)


def _report(**kw: object) -> Verdict:
    base: dict[str, object] = dict(
        is_attack=True,
        score=0.8,
        categories=["ngo"],
        event_types=["armed_attack"],
        country="SS",
        location="Bentiu",
        lat=9.23,
        lon=29.83,
        killed=2,
        occurred_on=D,
    )
    base.update(kw)
    return Verdict(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("report", "same"),
    [
        pytest.param(_report(), True, id="identical"),
        pytest.param(_report(occurred_on=date(2024, 5, 12)), True, id="two-days-later"),
        pytest.param(_report(occurred_on=date(2024, 5, 14)), False, id="four-days-later"),
        pytest.param(_report(country="SD"), False, id="other-country"),
        pytest.param(_report(categories=["health"]), False, id="no-category-overlap"),
        pytest.param(_report(categories=["health", "ngo"]), True, id="category-overlap"),
        pytest.param(_report(location="Rubkona", lat=9.27, lon=29.79), True, id="nearby-place-within-50km"),
        pytest.param(_report(location="Juba", lat=4.85, lon=31.58), False, id="far-place"),
        pytest.param(_report(location="bentiu", lat=None, lon=None), True, id="same-name-no-coordinates"),
        pytest.param(_report(location=None, lat=None, lon=None), True, id="report-names-no-place-same-event"),
        pytest.param(
            _report(location=None, lat=None, lon=None, event_types=["kidnapping"]), False, id="no-place-other-event"
        ),
    ],
)
def test_same_incident(report: Verdict, same: bool) -> None:
    assert same_incident(_existing(), report) is same


def test_no_country_on_either_side_needs_a_place() -> None:
    existing = _existing(country_code=None, location_name=None, lat=None, lon=None)
    assert not same_incident(existing, _report(country=None, location=None, lat=None, lon=None))


@pytest.mark.parametrize(
    ("report", "changed", "expect"),
    [
        pytest.param(_report(), False, {}, id="same-facts"),
        pytest.param(_report(killed=5), True, {"killed": 5}, id="toll-rises"),
        pytest.param(_report(killed=1), False, {}, id="lower-toll-ignored"),
        pytest.param(_report(perpetrator="SPLA-IO"), True, {"perpetrator": "SPLA-IO"}, id="perpetrator-named"),
        pytest.param(_report(injured=3), True, {"injured": 3}, id="injured-learnt"),
        pytest.param(
            _report(event_types=["armed_attack", "arson"]),
            True,
            {"event_types": ["armed_attack", "arson"]},
            id="new-event-type",
        ),
        pytest.param(_report(organizations=["MSF"]), False, {"organizations": ["MSF"]}, id="new-org-quiet"),
    ],
)
def test_merge_facts(report: Verdict, changed: bool, expect: dict[str, object]) -> None:
    fields, did_change = merge_facts(_existing(), report)
    assert did_change is changed
    for key, value in expect.items():
        assert fields[key] == value
    if not changed:
        assert not {"killed", "injured", "kidnapped", "perpetrator", "location_name"} & set(fields)


def test_new_location_changes_the_incident() -> None:
    fields, changed = merge_facts(_existing(location_name=None, lat=None, lon=None), _report())
    assert changed and fields["location_name"] == "Bentiu" and fields["lat"] == pytest.approx(9.23)


def test_haversine() -> None:
    assert haversine_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(111.19, abs=0.1)


# --- the incident model: one type, its record form, and back ------------------------------------------

RECORD_KEYS = [
    "id",
    "version",
    "title",
    "summary",
    "score",
    "categories",
    "event_types",
    "country",
    "location",
    "occurred_on",
    "casualties",
    "perpetrator",
    "organizations",
    "evidence",
    "articles",
    "first_seen",
    "updated",
]


def test_the_record_has_the_documented_fields_in_order() -> None:
    record = make_incident(score=0.123456).as_record()
    assert list(record) == RECORD_KEYS
    assert record["country"] == {"code": "CD", "name": "Congo, The Democratic Republic of the"}
    assert record["location"] == {"name": "Bunia", "lat": 1.56, "lon": 30.25}
    assert record["casualties"] == {"killed": 2, "injured": 5, "kidnapped": None}
    assert record["score"] == 0.1235
    assert record["occurred_on"] == "2026-11-19"
    # Instants keep Python's ISO form, as in every record sent and stored so far.
    assert record["first_seen"] == "2026-11-20T09:30:00+00:00"
    assert list(record["articles"][0]) == ["url", "title", "feed", "published", "first_seen"]
    assert "language" not in record and "historical" not in record


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({}, id="full"),
        pytest.param({"country_code": None, "country_name": None, "location_name": None}, id="no-place"),
        pytest.param({"lat": None, "lon": None, "killed": None, "injured": None}, id="unknown-figures"),
        pytest.param({"occurred_on": None, "perpetrator": None, "articles": []}, id="no-date-no-articles"),
    ],
)
def test_a_record_reads_back_as_the_same_incident(overrides: dict[str, object]) -> None:
    incident = make_incident(**overrides)
    again = Incident.model_validate(incident.as_record())
    assert again.as_record() == incident.as_record()
    assert (again.country_code, again.location_name, again.killed) == (
        incident.country_code,
        incident.location_name,
        incident.killed,
    )


def test_column_names_and_groups_build_the_same_incident() -> None:
    by_columns = make_incident(country_code="SD", country_name="Sudan", killed=4, injured=None, kidnapped=1)
    grouped = Incident.model_validate(by_columns.as_record())  # the record holds the groups
    assert grouped.country.model_dump() == {"code": "SD", "name": "Sudan"}
    assert grouped.casualties.model_dump() == {"killed": 4, "injured": None, "kidnapped": 1}
    # The record leaves out what only filters read (language, historical): all else is equal.
    assert grouped == by_columns.model_copy(update={"language": None})


def test_a_group_given_twice_is_refused() -> None:
    record = make_incident().as_record() | {"killed": 3}
    with pytest.raises(ValidationError, match="casualties given both as a group and by column names"):
        Incident.model_validate(record)
