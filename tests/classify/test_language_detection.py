"""The language a document is read as, when its feed does not say: one row per language with a lexicon.

Every text here was written for these tests (headline + a short paragraph in news style, no real article).
"""

from __future__ import annotations

import pytest

from alerts.classify.sentences import detect_language

DETECTION = [
    pytest.param(
        "pt",
        "Prefeitura anuncia novo plano de saneamento",
        "A prefeitura de Belo Horizonte apresentou nesta quarta-feira um plano para ampliar a rede de esgoto "
        "nos bairros da periferia. Segundo o secretário, as obras devem começar em março e não vão aumentar "
        "as tarifas.",
        id="pt-brazil-city-news",
    ),
    pytest.param(
        "pt",
        "Chuvas fortes provocam cheias no centro do país",
        "As chuvas dos últimos dias fizeram subir o caudal dos rios e obrigaram à retirada de dezenas de "
        "famílias. A proteção civil pede à população que evite as zonas ribeirinhas até ao fim da semana.",
        id="pt-portugal-weather-news",
    ),
    pytest.param(
        "es",
        "El gobierno aprueba el presupuesto",
        "El consejo de ministros aprobó este martes el proyecto de presupuestos para el año próximo, que "
        "incluye una subida de las pensiones y más fondos para la sanidad pública.",
        id="es-not-confused-with-pt",
    ),
    pytest.param(
        "gl",
        "O concello abre unha nova biblioteca",
        "A nova biblioteca municipal abriu hoxe as súas portas coa presenza do alcalde, que lembrou que o "
        "proxecto levaba anos parado. Tamén haberá unha sala para os máis novos e cursos de lectura.",
        id="gl-not-read-as-pt",
    ),
    pytest.param(
        "tl",
        "Bagong tulay sa Iloilo, binuksan na",
        "Binuksan na sa publiko ang bagong tulay na nag-uugnay sa dalawang bayan sa lalawigan. Ayon sa "
        "gobernador, mapapabilis nito ang biyahe ng mga magsasaka papunta sa pamilihan.",
        id="tl-bridge-opened",
    ),
    pytest.param(
        "sw",
        "Wakulima walalamikia bei ya mbolea",
        "Wakulima katika mkoa wa Mbeya wamesema kuwa bei ya mbolea imepanda kwa kiasi kikubwa mwaka huu, na "
        "wameiomba serikali kuingilia kati ili kupunguza gharama za kilimo.",
        id="sw-farmers-fertiliser",
    ),
    pytest.param(
        "ha",
        "Manoma sun koka kan tsadar taki",
        "Manoma a jihar Kano sun bayyana cewa farashin taki ya karu sosai a bana, kuma sun bukaci gwamnati ta "
        "shiga tsakani domin rage musu wahala a lokacin damina.",
        id="ha-farmers-fertiliser",
    ),
    pytest.param(
        "so",
        "Beeralayda oo ka cabanaya qiimaha bacriminta",
        "Beeralayda gobolka Shabeellaha Hoose ayaa sheegay in qiimaha bacriminta uu sanadkan aad u kordhay, "
        "waxayna dowladda ka codsadeen inay wax ka qabato arrintaas.",
        id="so-farmers-fertiliser",
    ),
    pytest.param(
        "id",
        "Pemerintah resmikan jalan tol baru",
        "Presiden meresmikan jalan tol baru yang menghubungkan dua kota besar di Jawa Tengah pada hari Senin. "
        "Menurut menteri, jalan ini akan mempercepat distribusi barang dan mengurangi kemacetan.",
        id="id-toll-road-opened",
    ),
    pytest.param(
        "tr",
        "Yeni köprü trafiğe açıldı",
        "Boğaz üzerindeki yeni köprü bugün düzenlenen bir törenle trafiğe açıldı. Bakan, köprünün şehir içi "
        "trafiği önemli ölçüde rahatlatacağını ve ekonomiye katkı sağlayacağını söyledi.",
        id="tr-bridge-opened",
    ),
    pytest.param(
        "ru",
        "В Новосибирске открыли новый мост",
        "В понедельник в городе открыли движение по новому мосту через реку. По словам мэра, это сократит "
        "пробки в центре и упростит дорогу для жителей левого берега.",
        id="ru-bridge-opened",
    ),
    pytest.param(
        "uk",
        "У Житомирі відкрили новий міст",
        "У понеділок у місті відкрили рух новим мостом через річку. За словами мера, це зменшить затори в "
        "центрі та спростить дорогу для мешканців лівого берега.",
        id="uk-bridge-opened",
    ),
    pytest.param(
        "fa",
        "افتتاح پل جدید در اصفهان",
        "پل جدید شهر روز دوشنبه با حضور شهردار افتتاح شد. به گفته مسئولان، این پل ترافیک مرکز شهر را کاهش می‌دهد.",
        id="fa-bridge-opened",
    ),
    pytest.param(
        "ps",
        "په کندهار کې نوی پل پرانیستل شو",
        "د ښار نوی پل د دوشنبې په ورځ د والي په شتون کې پرانیستل شو. چارواکو وویل چې دا پل به د ښار ګڼه ګوڼه کمه کړي.",
        id="ps-bridge-opened",
    ),
    pytest.param(
        "ar",
        "افتتاح جسر جديد في القاهرة",
        "افتتح المحافظ يوم الاثنين جسرا جديدا فوق النيل، وقال إن المشروع سيخفف الزحام في وسط المدينة.",
        id="ar-not-read-as-fa",
    ),
]


@pytest.mark.parametrize(("lang", "title", "text"), DETECTION)
def test_language_detected(lang: str, title: str, text: str) -> None:
    assert detect_language(f"{title}\n{text}") == lang
