"""Which number is the figure of a casualty word (casualty_reader.py): agents, companions, things, brackets.

Every text here was written for these tests. Each row: language, sentence, whether it is the headline,
expected (killed, injured, kidnapped).
"""

from __future__ import annotations

import pytest

from tests.classify.figures import Figures, figures_of

ROWS = [
    # Agents, companions, things and brackets.
    pytest.param("en", "A nurse was killed by two gunmen.", False, (1, None, None), id="en-killed-by-two-gunmen"),
    pytest.param(
        "en",
        "A male UN aid worker was killed along with nine other civilians.",
        False,
        (1, None, None),
        id="en-along-with-nine-others",
    ),
    pytest.param(
        "en", "2 NGO staff (a guard and a doctor) were killed.", False, (2, None, None), id="en-bracketed-aside"
    ),
    pytest.param(
        "en", "Militants seized an NGO vehicle near the camp.", False, (None, None, None), id="en-seized-a-vehicle"
    ),
    pytest.param("en", "An LNGO ambulance driver was killed.", False, (1, None, None), id="en-an-ambulance-driver"),
    pytest.param(
        "en", "Three aid workers were kidnapped and injured.", False, (None, 3, 3), id="en-kidnapped-and-injured"
    ),
    pytest.param(
        "en", "One dead and three injured when an ambulance hit a mine.", False, (1, 3, None), id="en-one-dead"
    ),
    pytest.param(
        "en",
        "Two WHO health workers were injured and three others killed.",
        False,
        (3, 2, None),
        id="en-who-is-not-a-clause-word",
    ),
    pytest.param("es", "Hombres armados mataron a dos enfermeros.", False, (2, None, None), id="es-mataron-a-dos"),
    pytest.param(
        "en",
        "Over 30 people have been killed in the clashes as of Tuesday.",
        False,
        (None, None, None),
        id="en-as-of-is-a-running-total",
    ),
    pytest.param(
        "en",
        "A rocket hit the clinic, injuring seven people, of which four died.",
        False,
        (4, 7, None),
        id="en-of-which-four-died-is-a-clause",
    ),
    pytest.param(
        "en", "Shells hit the camp, killing a man and a woman.", False, (2, None, None), id="en-a-man-and-a-woman"
    ),
    pytest.param("en", "Shells hit the camp, killing a child.", False, (1, None, None), id="en-killing-a-child"),
    pytest.param("en", "Dozens of people were killed.", False, (None, None, None), id="en-dozens-is-not-a-figure"),
    pytest.param(
        "fr", "Le bilan fait état de centaines de morts.", False, (None, None, None), id="fr-centaines-not-a-figure"
    ),
    pytest.param(
        "ar",
        "استشهد 144 فلسطينيا جراء القصف على قطاع غزة منذ فجر اليوم.",
        False,
        (None, None, None),
        id="ar-since-dawn-is-a-days-total",
    ),
    pytest.param(
        "ar", "عشرات الشهداء والاحتلال يستهدف 4 مدارس.", True, (None, None, None), id="ar-4-schools-not-killed"
    ),
    pytest.param(
        "ar", "استشهد 8 فلسطينيين في قصف على مدرسة تؤوي نازحين.", False, (8, None, None), id="ar-istashhada-8"
    ),
    pytest.param(
        "en", "Three national staff of an INGO were kidnapped.", False, (None, None, 3), id="en-staff-of-an-ingo"
    ),
    pytest.param("en", "Two guards at the clinic were killed.", False, (2, None, None), id="en-guards-at-the-clinic"),
    pytest.param("en", "The head of a clinic was killed.", False, (None, None, None), id="en-head-of-a-clinic"),
    pytest.param("en", "A national staff from an NGO was killed.", False, (1, None, None), id="en-a-staff-from-an-ngo"),
    pytest.param(
        "en",
        "Two international staffers of an INGO were shot and killed.",
        False,
        (2, None, None),
        id="en-two-staffers-of-an-ingo",
    ),
    pytest.param(
        "en",
        "A driver and an assistant were ambushed and wounded.",
        False,
        (None, None, None),
        id="en-driver-and-assistant",
    ),
    pytest.param("en", "A nurse was shot and killed.", False, (1, None, None), id="en-a-nurse-shot-and-killed"),
    pytest.param(
        "en",
        "On 3 May 2018, militants abducted a Red Cross employee.",
        False,
        (None, None, 1),
        id="en-day-of-month-not-a-count",
    ),
    pytest.param(
        "es",
        "El 5 de marzo, milicianos secuestraron a un cooperante.",
        False,
        (None, None, 1),
        id="es-day-of-month-not-a-count",
    ),
    pytest.param(
        "en", "One UN staff member shot and killed at home.", False, (1, None, None), id="en-one-shot-and-killed"
    ),
]


@pytest.mark.parametrize(("lang", "sentence", "is_headline", "expected"), ROWS)
def test_figure_of_the_casualty_word(lang: str, sentence: str, is_headline: bool, expected: Figures) -> None:
    assert figures_of(lang, sentence, is_headline) == expected
