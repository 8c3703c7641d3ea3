"""Portuguese is read fully: neutral roles, tolls and dates, and country names in both spellings.

Every text here was written for these tests (headline + a short paragraph in news style, no real article).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alerts.classify import classify

PT_ROLES = [
    pytest.param("A ONU chegou a um acordo com o governo sobre a ajuda aos deslocados.", None, id="un-reached-a-deal"),
    pytest.param("Médicos e enfermeiros aderiram à greve geral convocada pelos sindicatos.", None, id="doctors-strike"),
    pytest.param(
        "A ONG, com sede em Londres, confirma o número de mortos nos protestos.", None, id="ngo-confirms-toll"
    ),
    pytest.param(
        "Começa a libertação dos reféns e centenas de camiões com ajuda humanitária entram em Gaza.",
        None,
        id="hostage-release-and-aid-trucks",
    ),
    pytest.param(
        "Milhares de doentes e feridos que precisam de tratamento aguardam a abertura da fronteira.",
        None,
        id="patients-needing-treatment",
    ),
    pytest.param(
        "O hospital recebeu dezenas de feridos após a explosão no mercado, segundo o diretor.",
        None,
        id="hospital-receives-the-wounded",
    ),
    pytest.param(
        "Os bombeiros combateram um incêndio num armazém de móveis na zona industrial.",
        None,
        id="fire-in-a-furniture-warehouse",
    ),
    pytest.param(
        "Um comboio humanitário foi alvo de tiros perto da fronteira na terça-feira.",
        "aid_convoy_or_warehouse",
        id="aid-convoy-shot-at",
    ),
    pytest.param(
        "Um ataque com drones atingiu um comboio humanitário da ONU e matou dois motoristas.",
        "aid_convoy_or_warehouse",
        id="drone-hits-un-convoy",
    ),
    pytest.param(
        "O armazém da Cáritas foi saqueado e incendiado durante a noite.",
        "aid_convoy_or_warehouse",
        id="caritas-warehouse-looted-and-burned",
    ),
    pytest.param(
        "Uma ambulância do Crescente Vermelho foi baleada em Jenin e o motorista morreu.",
        "health",
        id="red-crescent-ambulance-shot",
    ),
    pytest.param(
        "Agentes de saúde foram atacados durante a campanha de vacinação contra a poliomielite.",
        "health",
        id="health-workers-attacked-vaccination",
    ),
]


@pytest.mark.parametrize(("text", "category"), PT_ROLES)
def test_portuguese_roles(text: str, category: str | None) -> None:
    v = classify("", text, lang="pt")
    assert v.is_attack is (category is not None), (v.score, v.evidence)
    if category:
        assert category in v.categories


def test_portuguese_tolls_and_date() -> None:
    v = classify(
        "Ataque aéreo atinge hospital infantil em Cartum",
        "Um bombardeio atingiu o hospital infantil da cidade na sexta-feira, matando três enfermeiros e "
        "ferindo sete pacientes.",
        published=datetime(2026, 12, 6, 9, 0, tzinfo=UTC),  # a Sunday
    )
    assert (v.killed, v.injured) == (3, 7)
    assert v.occurred_on is not None and v.occurred_on.isoformat() == "2026-12-04"


@pytest.mark.parametrize(
    ("text", "country"),
    [
        pytest.param("Hospital bombardeado no Afeganistão.", "AF", id="afeganistao"),
        pytest.param("Hospital bombardeado na Síria.", "SY", id="siria"),
        pytest.param("Hospital bombardeado no Iêmen.", "YE", id="iemen-brazil"),
        pytest.param("Hospital bombardeado no Iémen.", "YE", id="iemen-portugal"),
        pytest.param("Hospital bombardeado no Sudão.", "SD", id="sudao"),
        pytest.param("Hospital bombardeado no Sudão do Sul.", "SS", id="sudao-do-sul"),
        pytest.param("Hospital bombardeado em Moçambique.", "MZ", id="mocambique"),
        pytest.param("Hospital bombardeado na Faixa de Gaza.", "PS", id="faixa-de-gaza"),
    ],
)
def test_portuguese_country_names(text: str, country: str) -> None:
    v = classify("", text, lang="pt")
    assert v.is_attack and v.country == country
