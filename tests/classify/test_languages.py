"""Languages beyond en/fr/es/ar: attacks found and false alarms avoided in each, a support level per verdict.

Every text here was written for these tests (headline + a short paragraph in news style, no real article).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts import metrics
from alerts.classify import Classifier, classify
from alerts.classify.features import spans
from alerts.classify.lexicon import FULL_LANGUAGES, PARTIAL_LANGUAGES, load_lexicon, support_level
from alerts.classify.model import ModelSet, SentenceModel
from alerts.ingest import Ingestor, default_classifier
from alerts.models import Article, FeedSource
from alerts.store.feeds import sync_feed_list
from tests.support.databases import migrated_database

ATTACKS = [
    pytest.param(
        "pt",
        "Ataque aéreo atinge hospital infantil em Cartum",
        "Um bombardeio atingiu o hospital infantil da cidade na madrugada de terça-feira, matando três "
        "enfermeiros e ferindo sete pacientes, segundo a direção do hospital.",
        "health",
        "SD",
        id="pt-airstrike-on-childrens-hospital",
    ),
    pytest.param(
        "pt",
        "",
        "Homens armados sequestraram dois trabalhadores humanitários de uma ONG perto de Mocímboa da Praia, "
        "em Moçambique, no sábado.",
        "ngo",
        "MZ",
        id="pt-aid-workers-kidnapped-mozambique",
    ),
    pytest.param(
        "pt",
        "Armazém do PAM saqueado no Iémen",
        "Grupos armados saquearam um armazém do Programa Alimentar Mundial em Taiz e levaram toneladas de "
        "farinha, informou a agência.",
        "aid_convoy_or_warehouse",
        "YE",
        id="pt-wfp-warehouse-looted-yemen",
    ),
    pytest.param(
        "pt",
        "",
        "Um míssil atingiu um campo de deslocados na Síria na noite de domingo e matou quatro pessoas.",
        "camp",
        "SY",
        id="pt-missile-hits-displaced-camp-syria",
    ),
    pytest.param(
        "tl",
        "Ospital sa Marawi, tinamaan ng airstrike",
        "Isang airstrike ang tumama sa pampublikong ospital ng lungsod noong Martes ng gabi. Ayon sa mga "
        "opisyal, tatlong health workers ang nasawi at lima ang sugatan.",
        "health",
        None,
        id="tl-airstrike-on-hospital",
    ),
    pytest.param(
        "ru",
        "Ракетный удар по детской больнице",
        "Ракета попала в детскую больницу в центре города утром в понедельник. По данным властей, погибли "
        "два врача, ранены семь человек.",
        "health",
        None,
        id="ru-missile-strike-on-childrens-hospital",
    ),
    pytest.param(
        "uk",
        "Ракетний удар по дитячій лікарні",
        "Ракета влучила в дитячу лікарню в понеділок вранці. За даними міської влади, загинули двоє медиків, "
        "ще сім людей поранені.",
        "health",
        None,
        id="uk-missile-strike-on-childrens-hospital",
    ),
    pytest.param(
        "ha",
        "An sace ma'aikatan agaji uku a jihar Borno",
        "'Yan bindiga sun sace ma'aikatan agaji uku na wata kungiya mai zaman kanta a kusa da Monguno ranar "
        "Talata, in ji majiyoyin tsaro.",
        "ngo",
        "NG",
        id="ha-aid-workers-abducted",
    ),
    pytest.param(
        "so",
        "Shaqaale gargaar oo lagu afduubay Baydhabo",
        "Rag hubeysan ayaa afduubay laba shaqaale gargaar oo ka tirsan hay'ad samafal ah magaalada Baydhabo, "
        "sida ay sheegeen saraakiisha.",
        "ngo",
        "SO",
        id="so-aid-workers-abducted",
    ),
    pytest.param(
        "sw",
        "Ghala la WFP laporwa Goma",
        "Watu wenye silaha walivamia na kupora ghala la WFP mjini Goma usiku wa Jumanne, na kuiba tani kadhaa "
        "za chakula cha msaada.",
        "aid_convoy_or_warehouse",
        "CD",
        id="sw-wfp-warehouse-looted",
    ),
    pytest.param(
        "tr",
        "Gazze'de hastaneye hava saldırısı",
        "Savaş uçakları sabah saatlerinde şehirdeki hastaneyi bombaladı. Saldırıda iki doktor hayatını "
        "kaybetti, beş kişi yaralandı.",
        "health",
        None,
        id="tr-airstrike-on-hospital",
    ),
    pytest.param(
        "id",
        "Konvoi bantuan PBB diserang di Papua",
        "Sekelompok orang bersenjata menyerang konvoi bantuan PBB di jalan menuju Wamena pada Selasa pagi, "
        "dua sopir terluka dan satu truk dibakar.",
        "aid_convoy_or_warehouse",
        None,
        id="id-un-aid-convoy-attacked",
    ),
    pytest.param(
        "fa",
        "حمله هوایی به بیمارستان",
        "یک حمله هوایی صبح سه‌شنبه بیمارستان مرکزی شهر را هدف قرار داد و دو پرستار کشته و هفت بیمار زخمی شدند.",
        "health",
        None,
        id="fa-airstrike-on-hospital",
    ),
    pytest.param(
        "ps",
        "په روغتون هوايي برید",
        "د سه شنبې په سهار یو هوايي برید د ولایت په مرکزي روغتون وشو، چې له امله یې دوه ډاکټران ووژل شول.",
        "health",
        None,
        id="ps-airstrike-on-hospital",
    ),
]

NOT_ATTACKS = [
    pytest.param(
        "pt",
        "Feridos levados ao hospital após acidente na estrada",
        "Os feridos foram levados ao hospital regional depois de um acidente de ônibus na BR-116. A ONU "
        "condenou a violência na região noutro comunicado.",
        id="pt-wounded-taken-to-hospital-and-un-condemned",
    ),
    pytest.param(
        "pt",
        "Enfermeiros em greve",
        "Os enfermeiros do hospital central estão em greve desde segunda-feira e exigem aumentos salariais, "
        "segundo o sindicato.",
        id="pt-nurses-on-strike",
    ),
    pytest.param(
        "pt",
        "",
        "Segundo a MSF, os ataques contra hospitais no país aumentaram este ano, mas a organização não "
        "registou vítimas entre o seu pessoal.",
        id="pt-msf-as-speaker-of-a-trend",
    ),
    pytest.param(
        "tl",
        "Mga nasugatan, dinala sa ospital",
        "Dinala sa ospital ang mga nasugatan matapos ang banggaan ng dalawang bus sa highway. Ayon sa pulisya, "
        "walang namatay sa aksidente.",
        id="tl-wounded-taken-to-hospital",
    ),
    pytest.param(
        "ru",
        "Новая больница открылась в Казани",
        "В городе открылась новая детская больница на 300 мест. Мэр поблагодарил врачей и строителей за работу.",
        id="ru-hospital-opened",
    ),
    pytest.param(
        "uk",
        "Поранених доставили до лікарні",
        "Після ДТП на трасі шістьох поранених доставили до обласної лікарні, повідомила поліція.",
        id="uk-wounded-taken-to-hospital",
    ),
    pytest.param(
        "ha",
        "Gwamnati ta bude sabon asibiti a Kano",
        "Gwamnan jihar ya bude sabon asibitin yara a birnin Kano ranar Litinin, kuma ya yaba wa likitoci da "
        "ma'aikatan jinya.",
        id="ha-hospital-opened",
    ),
    pytest.param(
        "so",
        "Isbitaal cusub oo laga furay Garoowe",
        "Isbitaal cusub ayaa laga furay magaalada Garoowe, waxaana xarigga jaray wasiirka caafimaadka iyo "
        "dhakhaatiir badan.",
        id="so-hospital-opened",
    ),
    pytest.param(
        "sw",
        "Hospitali mpya yafunguliwa Dodoma",
        "Rais alifungua hospitali mpya ya rufaa mjini Dodoma na kuwapongeza madaktari na wauguzi kwa kazi yao.",
        id="sw-hospital-opened",
    ),
    pytest.param(
        "tr",
        "Yaralılar hastaneye kaldırıldı",
        "Otoyoldaki zincirleme kazada yaralanan altı kişi hastaneye kaldırıldı, polis olayla ilgili soruşturma "
        "başlattı.",
        id="tr-wounded-taken-to-hospital",
    ),
    pytest.param(
        "id",
        "Korban kecelakaan dibawa ke rumah sakit",
        "Para korban kecelakaan bus dibawa ke rumah sakit terdekat pada Minggu malam, kata polisi.",
        id="id-wounded-taken-to-hospital",
    ),
    pytest.param(
        "fa",
        "افتتاح بیمارستان جدید در مشهد",
        "بیمارستان جدید کودکان با حضور وزیر بهداشت در مشهد افتتاح شد و پزشکان از این طرح استقبال کردند.",
        id="fa-hospital-opened",
    ),
    pytest.param(
        "ps",
        "نوی روغتون پرانیستل شو",
        "د روغتیا وزیر په کندهار کې یو نوی روغتون پرانیست او ډاکټرانو ته یې مننه وکړه.",
        id="ps-hospital-opened",
    ),
]


# The UN condemning an attack on a market: the UN is the speaker, not the victim.
UN_CONDEMNED = [
    pytest.param(
        "ru", "ООН осудила обстрел рынка в центре города, в результате которого погибли пять человек.", id="ru"
    ),
    pytest.param("uk", "ООН засудила обстріл ринку в центрі міста, внаслідок якого загинули п'ятеро людей.", id="uk"),
    pytest.param("fa", "سازمان ملل حمله به بازار شهر را که پنج کشته بر جای گذاشت محکوم کرد.", id="fa-verb-final"),
    pytest.param("sw", "Umoja wa Mataifa umelaani shambulio la soko lililoua watu watano mjini humo.", id="sw"),
    pytest.param("tr", "BM, şehir merkezindeki pazara düzenlenen ve beş kişinin öldüğü saldırıyı kınadı.", id="tr"),
    pytest.param("id", "PBB mengecam serangan terhadap pasar yang menewaskan lima orang di kota itu.", id="id"),
    pytest.param("tl", "Kinondena ng UN ang pag-atake sa palengke na ikinasawi ng limang tao.", id="tl"),
    pytest.param(
        "ha",
        "Majalisar Dinkin Duniya ta yi Allah wadai da harin da aka kai kasuwa wanda ya kashe mutane biyar.",
        id="ha",
    ),
    pytest.param("so", "Qaramada Midoobay ayaa cambaareysay weerarka suuqa ee lagu dilay shan qof.", id="so"),
    pytest.param("ps", "ملګرو ملتونو په بازار باندې برید وغانده چې پنځه کسان پکې ووژل شول.", id="ps"),
]


@pytest.mark.parametrize(("lang", "text"), UN_CONDEMNED)
def test_un_condemning_an_attack_is_not_one(lang: str, text: str) -> None:
    v = classify("", text)
    assert v.lang == lang
    assert not v.is_attack, (v.score, v.evidence)


@pytest.mark.parametrize(("lang", "title", "text", "category", "country"), ATTACKS)
def test_attack_found_with_its_category(lang: str, title: str, text: str, category: str, country: str | None) -> None:
    v = classify(title, text)
    assert v.lang == lang
    assert v.is_attack, (v.score, v.evidence)
    assert category in v.categories, v.categories
    if country:
        assert v.country == country


@pytest.mark.parametrize(("lang", "title", "text"), NOT_ATTACKS)
def test_non_attack_not_flagged(lang: str, title: str, text: str) -> None:
    v = classify(title, text)
    assert v.lang == lang
    assert not v.is_attack, (v.score, v.evidence)


@pytest.mark.parametrize(
    ("lang", "text", "section", "expected"),
    [
        pytest.param("ru", "в больнице", "targets", ["health"], id="ru-locative-of-hospital-stem"),
        pytest.param("ru", "больничный двор", "targets", [], id="ru-other-word-not-a-stem-match"),
        pytest.param("uk", "до лікарні", "targets", ["health"], id="uk-genitive-of-hospital-stem"),
        pytest.param("tr", "hastanesine", "targets", ["health"], id="tr-suffixed-hospital"),
        pytest.param("tr", "UNICEF'in", "targets", ["un"], id="tr-apostrophe-suffix-on-acronym"),
        pytest.param("tr", "havanın", "violence", [], id="tr-air-is-not-a-mortar"),
        pytest.param("id", "rumah sakitnya", "targets", ["health"], id="id-nya-suffix"),
        pytest.param("sw", "walishambulia", "violence", ["armed_attack"], id="sw-prefixed-verb"),
        pytest.param("so", "isbitaalka", "targets", ["health"], id="so-definite-article"),
        pytest.param("ha", "asibitin", "targets", ["health"], id="ha-linked-form"),
        pytest.param("sw", "hospital attacked", "targets", [], id="sw-no-english-fallback"),
        pytest.param("ru", "с медикаментами", "targets", [], id="ru-medicines-are-not-medics"),
        pytest.param("uk", "лікарські засоби", "targets", [], id="uk-medicines-are-not-doctors"),
        pytest.param("id", "gudang toko", "targets", [], id="id-a-shop-warehouse-is-not-aid"),
        pytest.param("id", "gudang WFP", "targets", ["aid_convoy_or_warehouse"], id="id-wfp-warehouse"),
        pytest.param("fa", "بيمارستان", "targets", ["health"], id="fa-arabic-yeh-folded"),
    ],
)
def test_stems_and_empty_sections(lang: str, text: str, section: str, expected: list[str]) -> None:
    lex = load_lexicon(lang)
    rx = lex.targets if section == "targets" else lex.violence
    assert [name for name, _s, _e in spans(rx, lex.normalize(text))] == expected


def test_languages_without_a_file_share_the_english_lexicon() -> None:
    assert load_lexicon("de") is load_lexicon("it") is load_lexicon("en")
    assert load_lexicon("sw").lang == "sw" and load_lexicon("sw").cues is None  # omitted: empty, not English


def test_support_levels() -> None:
    assert {support_level(lang) for lang in FULL_LANGUAGES} == {"full"}
    assert {support_level(lang) for lang in PARTIAL_LANGUAGES} == {"partial"}
    assert support_level("de") == support_level(None) == "none"


@pytest.mark.parametrize(
    ("title", "text", "lang", "support"),
    [
        pytest.param("Hospital shelled", "Shells struck the district hospital.", "en", "full", id="en-full"),
        pytest.param("", "Um míssil atingiu o hospital da cidade.", "pt", "full", id="pt-full"),
        pytest.param("", "Hospitali ilishambuliwa na watu wenye silaha.", "sw", "partial", id="sw-partial"),
        pytest.param(
            "Krankenhaus angegriffen",
            "Das Krankenhaus der Stadt wurde in der Nacht beschossen, sagte ein Sprecher der Polizei.",
            "de",
            "none",
            id="de-none",
        ),
    ],
)
def test_verdict_names_language_and_support(title: str, text: str, lang: str, support: str) -> None:
    v = classify(title, text)
    assert (v.lang, v.support) == (lang, support)
    out = v.as_json("doc")
    assert (out["lang"], out["support"]) == (lang, support)


@pytest.mark.parametrize(
    ("title", "text", "lang", "model"),
    [
        pytest.param("", "Hospital shelled, two nurses killed.", "en", "lexical", id="en-lexical-model"),
        pytest.param("", "Um míssil atingiu o hospital da cidade.", "pt", "core", id="pt-core-model"),
        pytest.param(
            "Krankenhaus angegriffen",
            "Das Krankenhaus wurde in der Nacht bombardiert, sagte die Polizei. Hospital shelled.",
            "de",
            "core",
            id="de-english-lexicon-but-core-model",
        ),
    ],
)
def test_model_per_language(title: str, text: str, lang: str, model: str) -> None:
    # Two extreme models tell which one judged the document: English word weights never judge German.
    models = ModelSet(lexical=SentenceModel(weights={}, bias=-20.0), core=SentenceModel(weights={}, bias=20.0))
    v = Classifier(model=models).classify(title, text)
    assert v.lang == lang
    assert v.is_attack is (model == "core")


def _sample(lang: str, support: str) -> float:
    value = metrics.REGISTRY.get_sample_value("aidwatch_documents_classified_total", {"lang": lang, "support": support})
    return value or 0.0


def test_ingest_counts_documents_per_language_and_support(tmp_path: Path) -> None:
    articles = [
        ("pt", "Enfermeiros em greve", "Os enfermeiros do hospital estão em greve desde segunda-feira."),
        ("sw", "Hospitali mpya", "Rais alifungua hospitali mpya ya rufaa mjini Dodoma na kuwapongeza madaktari."),
        ("sw", "Wakulima", "Wakulima katika mkoa wa Mbeya wamesema kuwa bei ya mbolea imepanda kwa kiasi kikubwa."),
        ("de", "Neue Brücke", "Die neue Brücke wurde am Montag eröffnet, sagte der Bürgermeister der Stadt."),
    ]
    before = {key: _sample(*key) for key in [("pt", "full"), ("sw", "partial"), ("de", "none")]}
    with migrated_database("sqlite", tmp_path) as db:
        sync_feed_list(db, [FeedSource(id="f", url="http://127.0.0.1:1/f", interval_seconds=60)])
        ingestor = Ingestor(db, default_classifier(0.5))
        outcomes = ingestor.ingest_many(
            [
                Article(feed_id="f", url=f"https://x.example/{i}", entry_key=str(i), title=title, text=text)
                for i, (_lang, title, text) in enumerate(articles)
            ]
        )
    assert not [o for o in outcomes if isinstance(o, Exception)]
    after = {key: _sample(*key) for key in before}
    assert {key: after[key] - before[key] for key in before} == {
        ("pt", "full"): 1.0,
        ("sw", "partial"): 2.0,
        ("de", "none"): 1.0,
    }
