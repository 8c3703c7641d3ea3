"""Casualty tolls (participles, the toll in the next sentence) and the attack date (captions, relative days).

Every text here was written for these tests (no corpus sentences).
"""

from __future__ import annotations

from datetime import date

import pytest

from alerts.classify import classify
from tests.support.shared import SEED

FRIDAY = date(2024, 5, 10)

TOLLS = [
    pytest.param(
        "en",
        "Insurgents attacked the UN compound in Herat on Friday, killing two guards and wounding three.",
        2,
        3,
        None,
        id="en-participle-killing-two",
    ),
    pytest.param(
        "en",
        "Insurgents attacked the UN compound in Herat on Friday. "
        "Two guards were killed in the attack, the mission said.",
        2,
        None,
        None,
        id="en-toll-in-next-sentence",
    ),
    pytest.param(
        "en",
        "Gunmen stormed an NGO guesthouse in Bunia overnight.\nThey left before dawn.\n"
        "Four staff members were abducted during the raid, the charity said.",
        None,
        None,
        4,
        id="en-toll-two-sentences-later",
    ),
    pytest.param(
        "fr",
        "Des hommes armés ont attaqué le bureau de l'ONU à Goma vendredi, tuant deux gardes et blessant un chauffeur.",
        2,
        1,
        None,
        id="fr-participle-tuant-deux",
    ),
    pytest.param(
        "fr",
        "Des hommes armés ont attaqué le bureau de l'ONU à Goma vendredi. Trois gardes ont été tués dans l'attaque.",
        3,
        None,
        None,
        id="fr-toll-in-next-sentence",
    ),
    pytest.param(
        "es",
        "Hombres armados atacaron la sede de la ONU en Goma el viernes, matando a dos guardias.",
        2,
        None,
        None,
        id="es-participle-matando-a-dos",
    ),
    pytest.param(
        "es",
        "Hombres armados atacaron la sede de la ONU en Goma el viernes. Dos guardias murieron en el ataque.",
        2,
        None,
        None,
        id="es-toll-in-next-sentence",
    ),
    pytest.param(
        "ar",
        "هاجم مسلحون مقر الأمم المتحدة في هرات يوم الجمعة، ما أسفر عن مقتل 3 حراس.",
        3,
        None,
        None,
        id="ar-resulting-in-the-killing-of-3",
    ),
    pytest.param(
        "ar",
        "هاجم مسلحون مقر الأمم المتحدة في هرات يوم الجمعة. وقتل ثلاثة حراس في الهجوم.",
        3,
        None,
        None,
        id="ar-toll-in-next-sentence",
    ),
]


@pytest.mark.parametrize(("lang", "text", "killed", "injured", "kidnapped"), TOLLS)
def test_casualty_toll(lang: str, text: str, killed: int | None, injured: int | None, kidnapped: int | None) -> None:
    v = classify("", text, lang=lang, published=FRIDAY)
    assert v.is_attack, (v.score, v.evidence)
    assert (v.killed, v.injured, v.kidnapped) == (killed, injured, kidnapped)


def test_toll_of_another_event_nearby_is_not_taken() -> None:
    text = (
        "Gunmen attacked a clinic run by MSF in Bunia on Monday.\n"
        "Separately, three soldiers were killed in an ambush near Beni on Sunday."
    )
    v = classify("", text, lang="en", published=FRIDAY)
    assert v.is_attack
    assert v.killed is None


CAPTION = "A guard stands in front of the UN building in Herat on October 23, 2010."
BODY = "Insurgents attacked the UN compound in Herat, killing two guards.\nThe assault began on Friday, officials said."


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        pytest.param(CAPTION, BODY, date(2024, 5, 10), id="caption-as-title-relative-day-in-body"),
        pytest.param("", CAPTION + "\n" + BODY, date(2024, 5, 10), id="caption-as-first-body-line"),
        pytest.param(
            "UN compound attacked",
            "Reuters photo: guards outside the compound on March 3, 2015.\n"
            "Insurgents attacked the UN compound in Herat yesterday, killing two guards.",
            date(2024, 5, 11),
            id="photo-credit-line-date-ignored",
        ),
        pytest.param(
            "UN compound attacked",
            "Insurgents attacked the UN compound in Herat, killing two guards.\n"
            "Chris Someone | Getty Images, January 4, 2017",
            date(2024, 5, 12),
            id="no-date-but-a-credit-falls-back-to-published",
        ),
        pytest.param(
            "",
            "On 3 May 2024, insurgents attacked the UN compound in Herat, killing two guards.\n"
            "A guard stands at the gate on Friday, May 10, 2024.",
            date(2024, 5, 3),
            id="evidence-date-beats-everything",
        ),
    ],
)
def test_caption_dates_are_not_the_attack_date(title: str, text: str, expected: date) -> None:
    v = classify(title, text, lang="en", published=date(2024, 5, 12))
    assert v.is_attack
    assert v.occurred_on == expected
    assert v.historical is ((date(2024, 5, 12) - expected).days > 30)


def test_captions_are_never_evidence() -> None:
    v = classify(CAPTION, BODY, lang="en", published=date(2024, 5, 12))
    assert CAPTION not in v.evidence
    assert v.location == "Herat" and v.country == "AF"


@pytest.mark.shared(SEED)
@pytest.mark.parametrize(
    "title",
    [
        pytest.param("", id="no-title"),
        pytest.param("UN compound in Herat attacked as Taliban advance", id="real-headline"),
        pytest.param("<first line>", id="photo-caption-as-title"),
    ],
)
def test_seed_article_with_any_title(title: str) -> None:
    text = SEED.read_text(encoding="utf-8")
    if title == "<first line>":
        title, text = text.split("\n", 1)
    v = classify(title, text, published=date(2021, 7, 30))
    assert v.is_attack
    assert v.categories[0] == "un"
    assert (v.country, v.location, v.killed) == ("AF", "Herat", 1)
    assert "armed_attack" in v.event_types
    assert v.occurred_on == date(2021, 7, 30) and not v.historical


@pytest.mark.parametrize(
    ("lang", "title", "lead", "killed", "country"),
    [
        pytest.param(
            "en",
            "Airstrike hits MSF hospital in Sudan",
            "The facility was struck at dawn, killing four people, the group said.",
            4,
            "SD",
            id="en-headline-evidence-toll-in-lead",
        ),
        pytest.param(
            "fr",
            "Une frappe aérienne touche un hôpital de MSF au Soudan",
            "Le bâtiment a été frappé à l'aube, tuant quatre personnes, selon l'organisation.",
            4,
            "SD",
            id="fr-headline-evidence-toll-in-lead",
        ),
        pytest.param(
            "es",
            "Matan a dos cooperantes en Sudán del Sur",
            "Los dos hombres fueron asesinados el martes en la carretera de Pibor.",
            2,
            "SS",
            id="es-present-tense-headline-matan-a-dos",
        ),
        pytest.param(
            "ar",
            "غارة جوية تستهدف مستشفى لأطباء بلا حدود في السودان",
            "وأصيب المبنى فجرا ما أدى إلى مقتل أربعة أشخاص بحسب المنظمة.",
            4,
            "SD",
            id="ar-headline-evidence-toll-in-lead-country-with-article",
        ),
    ],
)
def test_headline_evidence_takes_the_toll_from_the_lead(
    lang: str, title: str, lead: str, killed: int, country: str
) -> None:
    filler = "The talks resumed in the capital on Tuesday without progress.\n" * 8
    v = classify(title, lead + "\n" + filler, lang=lang, published=FRIDAY)
    assert v.is_attack
    assert (v.killed, v.country) == (killed, country)


# Whole documents through the classifier: the toll of THIS attack, not a running total or the day's.
THIS_ATTACK = [
    pytest.param(
        "en",
        "Aid workers killed in convoy ambush",
        "Twenty three aid workers were killed when gunmen ambushed a UN convoy near Bunia on Tuesday.",
        23,
        id="en-compound-number",
    ),
    pytest.param(
        "fr",
        "",
        "Vingt-trois humanitaires ont été tués mardi lorsque des hommes armés ont attaqué un convoi de l'ONU "
        "près de Bunia.",
        23,
        id="fr-vingt-trois",
    ),
    pytest.param(
        "es",
        "",
        "Veintitrés cooperantes murieron el martes cuando hombres armados atacaron un convoy de la ONU cerca de Bunia.",
        23,
        id="es-veintitres",
    ),
    pytest.param(
        "en",
        "MSF clinic attacked in Darfur",
        "Gunmen stormed an MSF clinic in Darfur on Monday, killing two nurses, bringing to 300 the number of aid "
        "workers killed in Sudan since April.\nThe group suspended its work in the area.",
        2,
        id="en-cumulative-toll-excluded",
    ),
    pytest.param(
        "en",
        "Strikes kill 45 across Gaza",
        "Israeli strikes killed 45 people across Gaza on Tuesday, including three aid workers whose UNRWA convoy "
        "was hit near Rafah.",
        3,
        id="en-days-total-vs-this-attack",
    ),
    pytest.param(
        "en",
        "Death toll in MSF hospital strike rises to 9",
        "An airstrike hit an MSF hospital in Abs on Monday, killing five people.\n"
        "Rescuers searched the rubble overnight.",
        9,
        id="en-update-story-headline-toll",
    ),
    pytest.param(
        "en",
        "",
        "A nurse was killed when gunmen attacked a health centre run by an NGO in Kidal on Friday.",
        1,
        id="en-singular-a-nurse",
    ),
    pytest.param(
        "en",
        "",
        "Gunmen attacked a Red Cross office in Goma on Friday, wounding four staff members. No one was killed.",
        0,
        id="en-no-one-killed",
    ),
]


@pytest.mark.parametrize(("lang", "title", "text", "killed"), THIS_ATTACK)
def test_toll_of_this_attack(lang: str, title: str, text: str, killed: int) -> None:
    v = classify(title, text, lang=lang, published=FRIDAY)
    assert v.is_attack, (v.score, v.evidence)
    assert v.killed == killed


ATTACK_DATES = [
    pytest.param(
        "en", "Gunmen attacked a UN compound in Herat on 2024-05-03, killing two guards.", date(2024, 5, 3), id="en-iso"
    ),
    pytest.param(
        "en",
        "Gunmen attacked a UN compound in Herat two days ago, killing two guards.",
        date(2024, 5, 8),
        id="en-two-days-ago",
    ),
    pytest.param(
        "fr",
        "Des hommes armés ont attaqué le bureau de l'ONU à Goma il y a deux jours, tuant deux gardes.",
        date(2024, 5, 8),
        id="fr-il-y-a-deux-jours",
    ),
    pytest.param(
        "es",
        "Hombres armados atacaron la sede de la ONU en Goma hace dos días, matando a dos guardias.",
        date(2024, 5, 8),
        id="es-hace-dos-dias",
    ),
    pytest.param(
        "es",
        "Hombres armados atacaron la sede de la ONU en Goma el 5 de mayo, matando a dos guardias.",
        date(2024, 5, 5),
        id="es-el-5-de-mayo",
    ),
    pytest.param(
        "ar", "هاجم مسلحون مقر الأمم المتحدة في هرات أمس، ما أسفر عن مقتل 3 حراس.", date(2024, 5, 9), id="ar-ams"
    ),
    pytest.param(
        "en",
        "Gunmen attacked a UN compound in Herat on 20/05/2024, killing two guards.",
        FRIDAY,
        id="en-date-after-published-ignored",
    ),
]


@pytest.mark.parametrize(("lang", "text", "expected"), ATTACK_DATES)
def test_attack_date_of_the_report(lang: str, text: str, expected: date) -> None:
    v = classify("", text, lang=lang, published=FRIDAY)
    assert v.is_attack, (v.score, v.evidence)
    assert v.occurred_on == expected
    assert v.occurred_on is not None and v.occurred_on <= FRIDAY
