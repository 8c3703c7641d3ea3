"""The attack date (dates.py) on single sentences, with the shipped lexicons, resolved against a
publication date. Every text here was written for these tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from alerts.classify.dates import attack_date, old_attack_date
from alerts.classify.lexicon import load_lexicon

PUBLISHED = date(2024, 5, 12)  # a Sunday

DATES = [
    # Numeric.
    pytest.param("en", "Gunmen attacked the clinic on 2024-03-05.", date(2024, 3, 5), id="en-iso"),
    pytest.param("en", "Gunmen attacked the clinic on 05/03/2024.", date(2024, 3, 5), id="en-day-first-slashes"),
    pytest.param("fr", "Des hommes armés ont attaqué la clinique le 5.3.2024.", date(2024, 3, 5), id="fr-dots"),
    pytest.param(
        "en", "Gunmen attacked the clinic on 03/25/2024.", date(2024, 3, 25), id="en-month-first-when-day-over-12"
    ),
    pytest.param("es", "El ataque ocurrió el 05-03-2024.", date(2024, 3, 5), id="es-dashes"),
    # Written.
    pytest.param("en", "Gunmen attacked the clinic on 5 March.", date(2024, 3, 5), id="en-5-march"),
    pytest.param("en", "Gunmen attacked the clinic on March 5, 2023.", date(2023, 3, 5), id="en-march-5-2023"),
    pytest.param("fr", "L'attaque a eu lieu le 5 mars.", date(2024, 3, 5), id="fr-le-5-mars"),
    pytest.param("fr", "L'attaque a eu lieu le 1er mars 2024.", date(2024, 3, 1), id="fr-1er-mars"),
    pytest.param("es", "El ataque ocurrió el 5 de marzo.", date(2024, 3, 5), id="es-el-5-de-marzo"),
    pytest.param("ar", "وقع الهجوم في 5 مارس 2024.", date(2024, 3, 5), id="ar-5-march"),
    pytest.param(
        "en", "Gunmen attacked the clinic on 20 December.", date(2023, 12, 20), id="en-yearless-date-is-last-year"
    ),
    # Relative.
    pytest.param("en", "Gunmen attacked the clinic two days ago.", date(2024, 5, 10), id="en-two-days-ago"),
    pytest.param("en", "Gunmen attacked the clinic a week ago.", date(2024, 5, 5), id="en-a-week-ago"),
    pytest.param("en", "Gunmen attacked the clinic last week.", date(2024, 5, 5), id="en-last-week"),
    pytest.param("en", "Gunmen attacked the clinic on Tuesday.", date(2024, 5, 7), id="en-on-tuesday"),
    pytest.param("en", "Gunmen attacked the clinic yesterday.", date(2024, 5, 11), id="en-yesterday"),
    pytest.param(
        "fr",
        "Des hommes armés ont attaqué la clinique il y a deux jours.",
        date(2024, 5, 10),
        id="fr-il-y-a-deux-jours",
    ),
    pytest.param("fr", "Des hommes armés ont attaqué la clinique hier.", date(2024, 5, 11), id="fr-hier"),
    pytest.param(
        "fr",
        "Des hommes armés ont attaqué la clinique la semaine dernière.",
        date(2024, 5, 5),
        id="fr-la-semaine-derniere",
    ),
    pytest.param("fr", "Des hommes armés ont attaqué la clinique aujourd'hui.", date(2024, 5, 12), id="fr-aujourd-hui"),
    pytest.param("es", "Hombres armados atacaron la clínica hace dos días.", date(2024, 5, 10), id="es-hace-dos-dias"),
    pytest.param("es", "Hombres armados atacaron la clínica ayer.", date(2024, 5, 11), id="es-ayer"),
    pytest.param("ar", "هاجم مسلحون العيادة أمس.", date(2024, 5, 11), id="ar-ams"),
    pytest.param("ar", "هاجم مسلحون العيادة منذ ثلاثة أيام.", date(2024, 5, 9), id="ar-three-days-ago"),
    pytest.param("ar", "هاجم مسلحون العيادة قبل يومين.", date(2024, 5, 10), id="ar-two-days-ago-dual"),
    pytest.param(
        "en",
        "The clinic, bombed three years ago, was attacked again yesterday.",
        date(2024, 5, 11),
        id="en-day-precise-beats-years-ago",
    ),
    pytest.param("en", "Gunmen attacked the clinic three years ago.", date(2021, 5, 13), id="en-three-years-ago"),
    # Never after publication.
    pytest.param(
        "en",
        "Talks are planned for 2024-06-01; the clinic was attacked on 2024-05-01.",
        date(2024, 5, 1),
        id="en-future-date-skipped",
    ),
    pytest.param(
        "en", "Gunmen attacked the clinic; a hearing is set for 20/05/2024.", PUBLISHED, id="en-only-future-falls-back"
    ),
    pytest.param("en", "Gunmen attacked the clinic on 12 May.", date(2024, 5, 12), id="en-same-day"),
    # Nothing written: the publication date.
    pytest.param("en", "Gunmen attacked the clinic.", PUBLISHED, id="en-no-date"),
]


@pytest.mark.parametrize(("lang", "text", "expected"), DATES)
def test_attack_date(lang: str, text: str, expected: date) -> None:
    got = attack_date([text], load_lexicon(lang), PUBLISHED)
    assert got == expected
    assert got is not None and got <= PUBLISHED


def test_datetime_published_and_context_relative_day() -> None:
    lex = load_lexicon("en")
    got = attack_date(["Gunmen attacked the clinic."], lex, datetime(2024, 5, 12, 9, 30), ["It happened on Friday."])
    assert got == date(2024, 5, 10)


def test_context_never_gives_an_explicit_date() -> None:
    """Background paragraphs around the evidence carry old explicit dates: only relative days are read there."""
    lex = load_lexicon("en")
    assert (
        attack_date(["Gunmen attacked the clinic."], lex, PUBLISHED, ["The clinic opened on 3 March 2010."])
        == PUBLISHED
    )


def test_no_publication_date_reads_only_written_dates() -> None:
    lex = load_lexicon("en")
    assert attack_date(["Gunmen attacked the clinic two days ago."], lex, None) is None
    assert attack_date(["Gunmen attacked the clinic on 2024-03-05."], lex, None) == date(2024, 3, 5)


def test_portuguese_without_lexicon_months_uses_dateparser() -> None:
    """A language whose lexicon has no month names is read with dateparser (restricted to the language)."""
    pt = replace(load_lexicon("en"), lang="pt", months={}, weekdays={}, relative_days={}, ago=None)
    assert attack_date(["Homens armados atacaram o hospital em 5 de março."], pt, PUBLISHED) == date(2024, 3, 5)
    assert attack_date(["Homens armados atacaram o hospital ontem."], pt, PUBLISHED) == date(2024, 5, 11)
    assert attack_date(["Homens armados atacaram o hospital."], pt, PUBLISHED) == PUBLISHED


def test_portuguese_ago_from_lexicon_keys() -> None:
    """With an `ago` pattern and time units in its lexicon, "há dois dias" is read without dateparser."""
    from alerts.classify.lexicon import _ago

    data = {"ago": ["há {N} {UNIT}"], "time_units": {"dia": 1, "dias": 1}}
    pt = replace(load_lexicon("en"), lang="pt", ago=_ago(data, "pt"), time_units={"dia": 1, "dias": 1})
    assert attack_date(["Homens armados atacaram o hospital há dois dias."], pt, PUBLISHED) == date(2024, 5, 10)


OLD = [
    pytest.param("en", "The hospital was bombed in 2019.", date(2019, 12, 31), id="en-in-2019"),
    pytest.param("en", "The hospital was bombed three years ago.", date(2021, 5, 13), id="en-three-years-ago"),
    pytest.param("en", "The hospital was bombed last year.", date(2023, 12, 31), id="en-last-year"),
    pytest.param("en", "The hospital was bombed last month.", date(2024, 4, 30), id="en-last-month"),
    pytest.param("fr", "L'hôpital a été bombardé en 2019.", date(2019, 12, 31), id="fr-en-2019"),
    pytest.param("fr", "L'hôpital a été bombardé l'année dernière.", date(2023, 12, 31), id="fr-l-annee-derniere"),
    pytest.param("es", "El hospital fue bombardeado el año pasado.", date(2023, 12, 31), id="es-el-ano-pasado"),
    pytest.param("ar", "قصف المستشفى عام 2019.", date(2019, 12, 31), id="ar-am-2019"),
    pytest.param("en", "The hospital was bombed in 2024.", PUBLISHED, id="en-this-year-is-not-old"),
    pytest.param(
        "en", "The hospital, bombed in 2019, was hit again on Tuesday.", date(2024, 5, 7), id="en-finer-date-wins"
    ),
    pytest.param("en", "The hospital was bombed.", None, id="en-nothing-said"),
]


@pytest.mark.parametrize(("lang", "text", "expected"), OLD)
def test_old_attack_date(lang: str, text: str, expected: date | None) -> None:
    assert old_attack_date([text], load_lexicon(lang), PUBLISHED) == expected
