"""Full news articles in five languages: an attack reported in one paragraph of a long story is found, and
the same story without it (or with the humanitarian actor only speaking, receiving the wounded or
evacuating) stays negative. The score must not depend on the article's length.

Every text here was written for these tests (no corpus sentences).
"""

from __future__ import annotations

import pytest

from alerts.classify import classify

FILLER = {
    "en": (
        "The talks between the government and the opposition resumed in the capital on Tuesday. "
        "Diplomats said the two sides remained far apart on the question of elections.\n"
        "Prices of bread and fuel have doubled since the start of the year, and many families now eat once a day.\n"
    ),
    "fr": (
        "Les négociations entre le gouvernement et l'opposition ont repris mardi dans la capitale. "
        "Selon des diplomates, les deux camps restent éloignés sur la question des élections.\n"
        "Le prix du pain et du carburant a doublé depuis le début de l'année.\n"
    ),
    "es": (
        "Las negociaciones entre el Gobierno y la oposición se reanudaron el martes en la capital. "
        "Según varios diplomáticos, las dos partes siguen lejos de un acuerdo sobre las elecciones.\n"
        "El precio del pan y del combustible se ha duplicado desde principios de año.\n"
    ),
    "pt": (
        "As negociações entre o governo e a oposição foram retomadas na terça-feira na capital. "
        "Segundo diplomatas, as duas partes continuam longe de um acordo sobre as eleições.\n"
        "O preço do pão e do combustível duplicou desde o início do ano, e muitas famílias comem uma vez por dia.\n"
    ),
    "ar": (
        "استؤنفت المفاوضات بين الحكومة والمعارضة في العاصمة يوم الثلاثاء. "
        "وقال دبلوماسيون إن الطرفين لا يزالان بعيدين بشأن مسألة الانتخابات.\n"
        "وتضاعفت أسعار الخبز والوقود منذ بداية العام.\n"
    ),
}

ATTACK = {
    "en": "On Sunday, gunmen stormed a clinic run by an international NGO in the north and shot dead two nurses.\n",
    "fr": "Dimanche, des hommes armés ont attaqué un centre de santé de MSF dans le nord, tuant deux infirmiers.\n",
    "es": "El domingo, hombres armados atacaron un centro de salud de MSF en el norte y mataron a dos enfermeros.\n",
    "pt": "No domingo, homens armados atacaram um posto de saúde da MSF no norte e mataram dois enfermeiros.\n",
    "ar": "وفي يوم الأحد، هاجم مسلحون مركزا صحيا تدعمه منظمة أطباء بلا حدود في الشمال وقتلوا ممرضين اثنين.\n",
}

NOT_ATTACK = {
    "en": "The wounded from Sunday's market bombing were taken to the regional hospital, the UN said.\n",
    "fr": "Les blessés de l'attentat de dimanche contre le marché ont été transportés à l'hôpital régional.\n",
    "es": "Los heridos del atentado del domingo en el mercado fueron trasladados al hospital regional.\n",
    "pt": "Os feridos do atentado de domingo contra o mercado foram levados ao hospital regional, disse a ONU.\n",
    "ar": "ونقل الجرحى في تفجير السوق يوم الأحد إلى المستشفى الإقليمي.\n",
}

LANGS = ["en", "fr", "es", "ar", "pt"]

# Hospitals as the place that receives the wounded, a camp as a landmark for soldiers killed nearby, and a
# report's trend line: violence and a humanitarian word in one sentence, none of it an attack on the target.
OTHER_ROLES = {
    "en": [
        "Hospitals in the city are overwhelmed with casualties from the shelling, doctors said.",
        "Two soldiers were killed near the refugee camp when their patrol hit a roadside bomb.",
        "A UN report said attacks on aid workers rose sharply last year.",
    ],
    "fr": [
        "Les hôpitaux de la ville sont débordés par l'afflux de blessés après les bombardements.",
        "Deux soldats ont été tués près du camp de réfugiés lorsque leur patrouille a sauté sur une mine.",
        "Selon un rapport, les attaques contre les travailleurs humanitaires ont fortement augmenté l'an dernier.",
    ],
    "es": [
        "Los hospitales de la ciudad están desbordados por la llegada de heridos tras los bombardeos.",
        "Dos soldados murieron cerca del campo de refugiados cuando su patrulla pisó una mina.",
        "Según un informe, los ataques contra trabajadores humanitarios aumentaron el año pasado.",
    ],
    "pt": [
        "Os hospitais da cidade estão sobrecarregados com os feridos dos bombardeamentos, disseram médicos.",
        "Dois soldados morreram perto do campo de refugiados quando a patrulha pisou uma mina.",
        "Segundo um relatório, os ataques contra trabalhadores humanitários aumentaram no ano passado.",
    ],
    "ar": [
        "المستشفيات في المدينة مكتظة بالجرحى جراء القصف بحسب أطباء.",
        "قتل جنديان قرب مخيم اللاجئين عندما انفجر لغم بدوريتهما.",
        "ذكر تقرير أن الهجمات على عمال الإغاثة ارتفعت بشكل حاد العام الماضي.",
    ],
}


@pytest.mark.parametrize("lang", [pytest.param(lg, id=f"{lg}-attack-inside-a-long-article") for lg in LANGS])
def test_attack_inside_a_long_article_is_found(lang: str) -> None:
    text = FILLER[lang] * 8 + ATTACK[lang] + FILLER[lang] * 8
    v = classify("", text, lang=lang)
    assert v.is_attack, (v.score, v.evidence)
    assert v.evidence == [ATTACK[lang].strip()]
    assert v.killed == 2


@pytest.mark.parametrize("lang", [pytest.param(lg, id=f"{lg}-same-article-without-the-attack") for lg in LANGS])
def test_same_long_article_without_the_attack_is_negative(lang: str) -> None:
    assert not classify("", FILLER[lang] * 16, lang=lang).is_attack


@pytest.mark.parametrize("lang", [pytest.param(lg, id=f"{lg}-hospital-only-receives-the-wounded") for lg in LANGS])
def test_hospital_receiving_the_wounded_in_a_long_article_is_negative(lang: str) -> None:
    text = FILLER[lang] * 8 + NOT_ATTACK[lang] + FILLER[lang] * 8
    v = classify("", text, lang=lang)
    assert not v.is_attack, (v.score, v.evidence)


@pytest.mark.parametrize("lang", [pytest.param(lg, id=f"{lg}-score-independent-of-length") for lg in LANGS])
def test_score_does_not_depend_on_article_length(lang: str) -> None:
    short = classify("", ATTACK[lang], lang=lang).score
    long = classify("", FILLER[lang] * 20 + ATTACK[lang] + FILLER[lang] * 20, lang=lang).score
    assert long == pytest.approx(short, abs=0.15)


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [
        pytest.param(lg, sent, id=f"{lg}-{name}")
        for lg in LANGS
        for name, sent in zip(
            ("hospitals-overwhelmed", "camp-as-landmark", "report-trend"), OTHER_ROLES[lg], strict=True
        )
    ],
)
def test_other_roles_in_a_long_article_are_negative(lang: str, sentence: str) -> None:
    text = FILLER[lang] * 6 + sentence + "\n" + FILLER[lang] * 6
    v = classify("", text, lang=lang)
    assert not v.is_attack, (v.score, v.evidence)
