"""Event-level tests (alerts/classify/event.py): each reason on a short news story written for the test."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest

from alerts.classify import classify
from alerts.classify.cli import run_classify

PUBLISHED = date(2025, 3, 14)  # a Friday

LEAD_ATTACK = (
    "Gunmen stormed a clinic run by Medecins Sans Frontieres in the town on Tuesday, killing two nurses and "
    "wounding a guard, the charity said."
)

CASES = [
    pytest.param(
        "Gunmen kill two MSF nurses in attack on clinic in South Sudan",
        LEAD_ATTACK + "\nThe organisation suspended its work in the area after the raid.\n"
        "Local officials blamed a militia active in the county.",
        "attack",
        id="attack-new-and-intentional",
    ),
    pytest.param(
        "Ten years after the Kunduz hospital airstrike, survivors still wait for answers",
        "On 3 October 2015 an American gunship struck the trauma centre run by MSF in Kunduz, killing 42 people.\n"
        "Relatives gathered at a memorial in the city this week.\n"
        "The charity repeated its call for an independent inquiry.",
        "historical",
        id="historical-anniversary-headline",
    ),
    pytest.param(
        "Court sentences three men over killing of aid workers",
        "A court in the capital sentenced three men to twenty years in prison for the murder of two aid workers "
        "employed by a local charity in 2021.\nThe men had denied the charges throughout the trial.\n"
        "The charity welcomed the verdict.",
        "historical",
        id="historical-trial",
    ),
    pytest.param(
        "Helicopter carrying aid workers crashes in mountains, killing four",
        "A helicopter chartered by the World Food Programme crashed in bad weather on Wednesday, killing four aid "
        "workers on board, the agency said.\nThe cause of the crash is under investigation.\n"
        "Rescue teams reached the wreck on Thursday.",
        "accident",
        id="accident-helicopter-crash",
    ),
    pytest.param(
        "Fire at hospital kills six patients",
        "Six patients died when a fire broke out in the intensive care ward of the district hospital on Wednesday "
        "night, officials said.\nThe blaze was caused by a short circuit in an oxygen unit.\n"
        "The health minister ordered an inquiry into the hospital's wiring.",
        "accident",
        id="accident-hospital-fire",
    ),
    pytest.param(
        "Aid worker deaths hit record in 2024, report says",
        "At least 280 aid workers were killed in 2024, the deadliest year on record, according to a report "
        "released on Thursday.\nThe report counted attacks in 33 countries.\n"
        "Most of the victims were local staff, the report found.",
        "aggregate",
        id="aggregate-yearly-report",
    ),
    pytest.param(
        "Suicide bomber kills 12 at busy market; wounded taken to city hospital",
        "A suicide bomber blew himself up at a crowded vegetable market on Thursday, killing 12 people, police said."
        "\nThe wounded were taken to the city's main hospital, where doctors said several were in critical "
        "condition.\nThe United Nations condemned the attack.",
        "responder_only",
        id="responder-only-hospital-treats-the-wounded",
    ),
    pytest.param(
        "Truck bomb toll rises to 40 as hospitals struggle and UN condemns attack",
        "The death toll from Saturday's truck bombing at a busy junction rose to 40 on Monday, officials said.\n"
        "Hospitals in the capital struggled to cope with the wounded.\nThe UN condemned the bombing.",
        "responder_only",
        id="responder-only-toll-rises-headline",
    ),
    pytest.param(
        "WFP convoy reaches besieged town for the first time in months",
        "A convoy of 20 trucks from the World Food Programme reached the besieged town on Monday carrying flour "
        "and medicines, the agency said.\nResidents queued for hours to receive rations.\n"
        "The agency hopes to send more convoys next week.",
        "no_violence",
        id="no-violence-aid-delivery",
    ),
    pytest.param(
        "Army and rebels clash near border town",
        "Soldiers and rebel fighters clashed overnight near the border town, killing at least nine combatants, the "
        "army said.\nResidents fled to nearby villages.\nThe fighting stopped by morning.",
        "no_target",
        id="no-target-clashes",
    ),
]


@pytest.mark.parametrize(("title", "text", "reason"), CASES)
def test_each_event_test_decides_its_kind_of_story(title: str, text: str, reason: str) -> None:
    verdict = classify(title, text, lang="en", published=PUBLISHED)
    assert verdict.reason == reason, verdict.checks
    assert verdict.is_attack == (reason == "attack")
    failed = [name for name, passed, _detail in verdict.checks if not passed]
    assert (not failed) if reason == "attack" else bool(failed), verdict.checks


def test_a_fresh_attack_with_a_running_total_is_still_an_attack() -> None:
    verdict = classify(
        "Gunmen kill two MSF nurses in Darfur",
        "Gunmen stormed an MSF clinic in Darfur on Monday, killing two nurses, bringing to 300 the number of aid "
        "workers killed in Sudan since April.",
        lang="en",
        published=PUBLISHED,
    )
    assert verdict.is_attack and verdict.killed == 2, verdict.checks


def test_explain_prints_the_decision_the_tests_and_the_evidence() -> None:
    doc = {"id": "d1", "title": CASES[3].values[0], "text": CASES[3].values[1], "published": PUBLISHED.isoformat()}
    out = io.StringIO()
    assert run_classify(io.StringIO(json.dumps(doc) + "\n"), out, explain=True) == 0
    text = out.getvalue()
    assert text.startswith("d1: not an attack (accident)")
    assert "[FAIL] accident:" in text and '"crashed"' in text
    assert "sentences judged:" in text


def test_json_verdict_carries_the_reason() -> None:
    doc = {"id": "d2", "title": CASES[0].values[0], "text": CASES[0].values[1], "published": PUBLISHED.isoformat()}
    out = io.StringIO()
    assert run_classify(io.StringIO(json.dumps(doc) + "\n"), out) == 0
    line = json.loads(out.getvalue())
    assert line["is_attack"] is True and line["reason"] == "attack"


@pytest.mark.parametrize(
    ("title", "text", "country"),
    [
        pytest.param(
            "Gunmen kill two aid workers in Darfur",
            "NAIROBI (Reuters) — Gunmen killed two aid workers near El Fasher in Sudan's Darfur region on Tuesday, "
            "their charity said.",
            "SD",
            id="dateline-city-in-another-country",
        ),
        pytest.param(
            "Gunmen kill two aid workers",
            "KABUL (AP) — Gunmen killed two aid workers of a local charity on Tuesday, officials said.",
            "AF",
            id="dateline-only-place-gives-the-country",
        ),
    ],
)
def test_the_dateline_is_where_the_reporter_files_not_the_attack(title: str, text: str, country: str) -> None:
    verdict = classify(title, text, lang="en", published=PUBLISHED)
    assert verdict.is_attack and verdict.country == country
    assert verdict.location is None or verdict.location.upper() not in ("NAIROBI", "KABUL")


def test_a_body_that_repeats_the_headline_gives_it_once_as_evidence() -> None:
    title = "Gunmen kill two MSF nurses in attack on clinic in South Sudan"
    verdict = classify(title, title + "\n" + LEAD_ATTACK, lang="en", published=PUBLISHED)
    assert verdict.is_attack and verdict.evidence.count(title) == 1
