"""Table-driven classifier cases, per language and per hard pattern of issue 3.

Every text here was written for these tests (no corpus sentences): the corpus belongs to its publishers.
"""

from __future__ import annotations

import pytest

from alerts.classify import classify

POSITIVE = [
    pytest.param(
        "en",
        "Hospital shelled in Kharkiv",
        "Artillery shells struck the district hospital on Tuesday, killing two nurses and wounding a patient.",
        "health",
        id="en-hospital-shelled",
    ),
    pytest.param(
        "en",
        "",
        "Gunmen ambushed an NGO vehicle near Bentiu and killed two aid workers on their way back from a clinic.",
        "ngo",
        id="en-aid-workers-killed",
    ),
    pytest.param(
        "en",
        "",
        "A misfired air strike hit a crowded market, and two Red Cross volunteers were among the 14 people killed.",
        "red_cross",
        id="en-red-cross-among-dead-of-misfired-strike",
    ),
    pytest.param(
        "en",
        "",
        "Armed men looted a WFP food convoy on the road to Malakal and set two of the trucks on fire.",
        "aid_convoy_or_warehouse",
        id="en-aid-convoy-looted",
    ),
    pytest.param(
        "en",
        "",
        "Three UNICEF staff members were kidnapped at gunpoint from their guesthouse in the town overnight.",
        "un",
        id="en-un-staff-kidnapped",
    ),
    pytest.param(
        "fr",
        "",
        "L'hôpital de la ville a été bombardé dans la nuit, faisant trois morts parmi le personnel soignant.",
        "health",
        id="fr-hospital-bombed",
    ),
    pytest.param(
        "fr",
        "",
        "Deux travailleurs humanitaires d'une ONG ont été enlevés par des hommes armés près de Ménaka.",
        "ngo",
        id="fr-aid-workers-abducted",
    ),
    pytest.param(
        "es",
        "",
        "Una ambulancia de la Media Luna Roja fue atacada a tiros en Yenín y murió el conductor.",
        "health",
        id="es-ambulance-shot",
    ),
    pytest.param(
        "es",
        "Bombardeo contra desplazados",
        "Un bombardeo alcanzó las tiendas de campaña de desplazados en Jan Yunis y mató a nueve personas.",
        "camp",
        id="es-displaced-tents-bombed",
    ),
    pytest.param(
        "ar",
        "",
        "اقتحمت قوات الاحتلال مستشفى العودة شمالي قطاع غزة وأطلقت النار على الطواقم الطبية.",
        "health",
        id="ar-hospital-stormed",
    ),
    pytest.param(
        "ar",
        "",
        "مقتل ثلاثة من عمال الإغاثة في غارة جوية استهدفت سيارتهم وسط قطاع غزة.",
        "ngo",
        id="ar-aid-workers-killed-in-airstrike",
    ),
]

NEGATIVE = [
    pytest.param(
        "en",
        "",
        "A car bomb killed five soldiers at a checkpoint; the wounded were taken to a nearby hospital.",
        id="en-wounded-taken-to-hospital",
    ),
    pytest.param(
        "en",
        "",
        "The UN evacuated all aid workers from the town as fighting between the army and rebels intensified.",
        id="en-aid-workers-evacuated",
    ),
    pytest.param(
        "en",
        "",
        "Militants drove an ambulance packed with explosives into a police checkpoint, killing twelve officers.",
        id="en-attackers-drove-ambulance",
    ),
    pytest.param(
        "en",
        "",
        "Health workers held a sit-in outside the regional hospital to demand eight months of unpaid salaries.",
        id="en-health-workers-sit-in",
    ),
    pytest.param(
        "en",
        "",
        "The UN Secretary-General condemned the attack on a market that killed twenty civilians.",
        id="en-un-condemned",
    ),
    pytest.param(
        "en",
        "",
        "Jihadists attacked an army camp in the north on Sunday, killing eleven soldiers.",
        id="en-army-camp",
    ),
    pytest.param(
        "en",
        "Central bank raises rates",
        "The central bank raised its main interest rate by half a point, citing persistent inflation.",
        id="en-unrelated",
    ),
    pytest.param(
        "fr",
        "",
        "Les blessés ont été transportés à l'hôpital régional après l'attaque du marché.",
        id="fr-wounded-taken-to-hospital",
    ),
    pytest.param(
        "fr",
        "",
        "L'ONU a condamné l'attaque contre un marché qui a fait douze morts.",
        id="fr-un-condemned",
    ),
    pytest.param(
        "fr",
        "",
        "Les infirmiers de l'hôpital sont en grève depuis lundi pour réclamer leurs salaires.",
        id="fr-nurses-strike",
    ),
    pytest.param(
        "es",
        "",
        "Los heridos fueron trasladados al hospital tras el tiroteo en el centro comercial.",
        id="es-wounded-taken-to-hospital",
    ),
    pytest.param(
        "es",
        "",
        "Los médicos de atención primaria mantienen la huelga en Madrid por tercera semana.",
        id="es-doctors-strike",
    ),
    pytest.param(
        "ar",
        "",
        "نقل الجرحى إلى مستشفى ناصر بعد قصف استهدف منزلا في خان يونس.",
        id="ar-wounded-taken-to-hospital",
    ),
    pytest.param(
        "ar",
        "",
        "الأطباء يبدأون إضرابا مفتوحا في المستشفيات الحكومية للمطالبة بزيادة الرواتب.",
        id="ar-doctors-strike",
    ),
]

_FILLER = (
    "Parliament debated the budget for most of the week, and the opposition walked out twice. "
    "Ministers promised new roads and schools in the south before the elections next year.\n"
)


@pytest.mark.parametrize(("lang", "title", "text", "category"), POSITIVE)
def test_positive(lang: str, title: str, text: str, category: str) -> None:
    v = classify(title, text, lang=lang)
    assert v.is_attack, (v.score, v.evidence)
    assert category in v.categories
    assert v.evidence, "a positive verdict names its evidence sentences"


@pytest.mark.parametrize(("lang", "title", "text"), NEGATIVE)
def test_negative(lang: str, title: str, text: str) -> None:
    v = classify(title, text, lang=lang)
    assert not v.is_attack, (v.score, v.evidence)


@pytest.mark.parametrize(("lang", "title", "text", "category"), POSITIVE)
def test_language_detected_when_not_given(lang: str, title: str, text: str, category: str) -> None:
    assert classify(title, text).is_attack == classify(title, text, lang=lang).is_attack


def test_camp_bombed_inside_a_wider_story_is_found() -> None:
    text = (
        _FILLER * 6
        + "Warplanes also bombed a camp for displaced people near Idlib on Sunday, killing seven residents.\n"
        + _FILLER * 6
    )
    v = classify("Elections loom as budget talks stall", text, lang="en")
    assert v.is_attack
    assert "camp" in v.categories
    assert v.evidence == [
        "Warplanes also bombed a camp for displaced people near Idlib on Sunday, killing seven residents."
    ]


def test_the_same_long_story_without_the_attack_stays_negative() -> None:
    assert not classify("Elections loom as budget talks stall", _FILLER * 12, lang="en").is_attack


def test_threshold_drives_the_decision() -> None:
    title, text = "", "Gunmen ambushed an NGO vehicle near Bentiu and killed two aid workers."
    loose = classify(title, text, threshold=0.01)
    strict = classify(title, text, threshold=1.0)
    assert loose.score == strict.score
    assert loose.is_attack and not strict.is_attack


def test_score_is_a_probability_and_empty_input_is_negative() -> None:
    v = classify("", "")
    assert not v.is_attack
    assert 0.0 <= v.score < 0.5
    assert v.categories == [] and v.evidence == []
