"""Incident coding: place, country, casualties, perpetrator, organisations, dates (hand-written texts)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from alerts.classify import classify
from tests.support.shared import SEED


def test_place_of_the_attack_beats_other_places_in_the_story() -> None:
    text = (
        "Talks in Kabul between the government and elders ended without agreement on Monday.\n"
        "In Herat, gunmen stormed a clinic run by an NGO and shot dead two nurses.\n"
        "Officials in Kandahar said security would be reinforced."
    )
    v = classify("Talks stall", text, lang="en")
    assert v.is_attack
    assert (v.country, v.location) == ("AF", "Herat")
    assert v.lat is not None and 33 < v.lat < 36


@pytest.mark.parametrize(
    ("text", "killed", "injured", "kidnapped"),
    [
        pytest.param(
            "Three aid workers were killed and two were injured when gunmen attacked their convoy.",
            3,
            2,
            None,
            id="en-killed-and-injured",
        ),
        pytest.param(
            "Gunmen attacked an MSF clinic, killing four patients and wounding 11 others.",
            4,
            11,
            None,
            id="en-gerund-figures",
        ),
        pytest.param(
            "Five health workers were abducted by armed men from a vaccination post.", None, None, 5, id="en-abducted"
        ),
        pytest.param("Deux infirmiers ont été tués dans le bombardement de l'hôpital.", 2, None, None, id="fr-killed"),
        pytest.param(
            "Un bombardeo contra el hospital dejó 12 muertos y 30 heridos.", 12, 30, None, id="es-dead-and-wounded"
        ),
    ],
)
def test_casualty_figures(text: str, killed: int | None, injured: int | None, kidnapped: int | None) -> None:
    v = classify("", text)
    assert v.is_attack
    assert (v.killed, v.injured, v.kidnapped) == (killed, injured, kidnapped)


def test_perpetrator_and_organizations() -> None:
    v = classify(
        "", "Al-Shabaab fighters ambushed a UNICEF vehicle and abducted an ICRC delegate near Baidoa.", lang="en"
    )
    assert v.is_attack
    assert v.perpetrator is not None and "Shabaab" in v.perpetrator
    assert {"UNICEF", "ICRC"} <= set(v.organizations)
    assert v.country == "SO"


def test_weekday_resolves_against_publication_date() -> None:
    published = datetime(2024, 5, 10, 8, 0)  # a Friday
    v = classify("", "On Tuesday, gunmen attacked a health centre and killed a nurse.", lang="en", published=published)
    assert v.occurred_on == date(2024, 5, 7)
    assert not v.historical


def test_explicit_old_date_is_historical() -> None:
    v = classify(
        "",
        "On 3 March 2019, gunmen attacked a health centre in Djibo and killed two nurses.",
        lang="en",
        published=date(2024, 5, 10),
    )
    assert v.occurred_on == date(2019, 3, 3)
    assert v.historical
    assert v.country == "BF"


def test_publication_date_when_the_text_gives_none() -> None:
    v = classify("", "Gunmen attacked a health centre and killed a nurse.", lang="en", published=date(2024, 5, 10))
    assert v.occurred_on == date(2024, 5, 10)


def test_caption_date_is_not_the_attack_date() -> None:
    text = (
        "A guard stands outside a hospital in Mosul on January 4, 2017.\n\n"
        "Gunmen attacked the hospital on Wednesday and killed a doctor, officials said."
    )
    v = classify("Doctor killed in hospital attack", text, lang="en", published=date(2024, 5, 10))
    assert v.is_attack
    assert v.occurred_on == date(2024, 5, 8)


@pytest.mark.shared(SEED)
def test_seed_article() -> None:
    v = classify("", SEED.read_text(encoding="utf-8"))
    assert v.is_attack
    assert v.categories[0] == "un"
    assert (v.country, v.location, v.killed) == ("AF", "Herat", 1)
    assert "armed_attack" in v.event_types


@pytest.mark.parametrize(
    ("text", "country", "location"),
    [
        pytest.param("Gunmen looted an MSF clinic in a village of Ituri province.", "CD", "Ituri", id="province-only"),
        pytest.param("Armed men ambushed an NGO vehicle in Jonglei state.", "SS", "Jonglei", id="state-only"),
        pytest.param(
            "A South Sudanese aid worker was shot and injured by an unidentified gunman.",
            None,
            None,
            id="compass-word-is-not-a-region",
        ),
    ],
)
def test_provinces_give_the_country(text: str, country: str | None, location: str | None) -> None:
    v = classify("", text, lang="en")
    assert v.is_attack
    assert (v.country, v.location) == (country, location)


@pytest.mark.parametrize(
    ("text", "country", "location"),
    [
        pytest.param("مقتل اثنين من عمال الإغاثة في جنوب السودان", "SS", None, id="ar-country-with-article"),
        pytest.param("قصف مسلحون مستشفى بالفاشر وقتلوا ممرضا", "SD", "الفاشر", id="ar-city-with-preposition-clitic"),
    ],
)
def test_arabic_places_with_article_and_clitics(text: str, country: str, location: str | None) -> None:
    v = classify("", text, lang="ar")
    assert v.is_attack
    assert (v.country, v.location) == (country, location)
