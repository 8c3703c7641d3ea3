"""Every page passes the accessibility checks that can be read from its HTML, in every shipped language:
lang and dir on <html>, landmarks, one h1 and no skipped heading level, a label for every form control,
a name for every button and link. Also the page chrome is translated and nothing needs a script to work."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path

import httpx2
import lxml.html
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from alerts.feedback import feedback_token
from alerts.links import link_secret, link_token
from alerts.store import Database
from alerts.web import create_site
from alerts.web.i18n import LANGUAGES, catalog_path
from tests.api.conftest import PUBLIC_URL, make_settings
from tests.support.alerting import add_subscription, make_incident, store_incident
from tests.support.databases import migrated_database

PAGES = [
    "incidents",
    "incident",
    "subscribe",
    "subscribe-errors",
    "confirm",
    "unsubscribe",
    "manage",
    "not-found",
    "feedback",
    "feedback-errors",
    "feedback-sent",
]
CONTROLS = "//input[not(@type='hidden') and not(@type='submit')] | //select | //textarea"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[httpx2.AsyncClient, Database]]:
    with migrated_database("sqlite", tmp_path) as db:
        store_incident(db, make_incident(id=1))
        transport = httpx2.ASGITransport(app=create_site(make_settings(), db))
        async with httpx2.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
            yield http, db


async def _page(http: httpx2.AsyncClient, db: Database, name: str, lang: str) -> httpx2.Response:
    sub = add_subscription(db, channel="email", target="desk@example.org", status="pending_confirmation")
    with db.session() as session:
        secret = link_secret(session)
    params = {"lang": lang}
    if name in ("confirm", "unsubscribe", "manage"):
        params["token"] = link_token(secret, name, sub.id)
        return await http.get(f"/subscriptions/{sub.id}/{name}", params=params)
    if name == "subscribe-errors":
        form = (await http.get("/subscribe", params=params)).text
        token = re.search(r'name="form_token" value="([^"]+)"', form)
        assert token
        body = {"form_token": token.group(1), "channel": "email", "target": "not an address", "countries": "XX"}
        return await http.post(f"/subscribe?lang={lang}", data=body)
    if name.startswith("feedback"):
        # The "wrong alert" link an alert to this subscription carries, then its form sent without or with a choice.
        params |= {"s": sub.id, "token": feedback_token(secret, 1, sub.id)}
        if name == "feedback":
            return await http.get("/feedback/1", params=params)
        answer = {"s": sub.id, "token": params["token"], "comment": "The <b>road</b> crash was not an attack."}
        if name == "feedback-sent":
            answer["choice"] = "not_an_attack"
        return await http.post(f"/feedback/1?lang={lang}", data=answer)
    path = {"incidents": "/", "incident": "/incidents/1", "subscribe": "/subscribe", "not-found": "/incidents/99"}
    return await http.get(path[name], params=params)


def _text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
async def test_page_passes_html_accessibility_checks(
    client: tuple[httpx2.AsyncClient, Database], name: str, lang: str
) -> None:
    http, db = client
    response = await _page(http, db, name, lang)
    assert response.headers["content-type"].startswith("text/html")
    assert response.status_code == {"subscribe-errors": 400, "feedback-errors": 400, "not-found": 404}.get(name, 200), (
        response.text
    )
    doc = lxml.html.fromstring(response.text)

    html = doc.getroottree().getroot()
    assert html.get("lang") == lang
    assert html.get("dir") == ("rtl" if lang == "ar" else "ltr")
    assert doc.xpath("//title") and _text(doc.xpath("//title")[0])

    for landmark in ("header", "main", "footer"):
        assert len(doc.xpath(f"//{landmark}[not(ancestor::main) and not(ancestor::article)]")) == 1, landmark
    assert doc.xpath("//nav[@aria-label]")
    assert doc.xpath("//a[@href='#main']"), "a skip link to the main content"

    levels = [int(h.tag[1]) for h in doc.xpath("//main//*[self::h1 or self::h2 or self::h3 or self::h4]")]
    assert levels[:1] == [1] and levels.count(1) == 1, levels
    for before, after in pairwise(levels):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}"

    for control in doc.xpath(CONTROLS):
        wrapped = control.xpath("ancestor::label")
        by_id = control.get("id") and doc.xpath(f"//label[@for='{control.get('id')}']")
        assert wrapped or by_id or control.get("aria-label"), f"unlabelled {lxml.html.tostring(control)!r}"
        if control.get("aria-describedby"):
            for ref in control.get("aria-describedby").split():
                assert doc.xpath(f"//*[@id='{ref}']"), f"aria-describedby points at missing #{ref}"
        if control.get("aria-invalid") == "true":
            # A second aria-describedby attribute is dropped by parsers: the error must be in the one there is.
            described = (control.get("aria-describedby") or "").split()
            assert f"{control.get('id')}-error" in described, f"#{control.get('id')}'s error is not its description"
    for group in doc.xpath("//fieldset"):
        assert group.xpath("./legend") and _text(group.xpath("./legend")[0]), "every fieldset has a legend"
    for button in doc.xpath("//button"):
        assert _text(button), "every button has a name"
    for link in doc.xpath("//a[@href]"):
        assert _text(link) or link.get("aria-label"), f"link without a name: {link.get('href')}"
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids)), "ids are unique"
    for form in doc.xpath("//form[@method='post']"):
        # The feedback form's signed token is its link's own ("token"), bound to the incident and subscription.
        signed = ".//input[(@name='form_token' or @name='token') and @value!='']"
        assert form.xpath(signed), "every posted form carries a signed token"
    if name == "feedback-errors":
        # The missing choice is said at the group of radio buttons, which names the message as its description.
        group = doc.xpath("//fieldset[@id='choice']")[0]
        error = doc.xpath("//fieldset[@id='choice']//*[@class='error']")[0]
        assert group.get("aria-describedby") == error.get("id") and _text(error)
        assert doc.xpath("//*[@role='alert']//a[@href='#choice']")[0].text_content() == error.text_content()
    assert not doc.xpath("//script[not(@src)]") and not doc.xpath("//*[@onclick or @onsubmit]")


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
async def test_page_chrome_is_translated(client: tuple[httpx2.AsyncClient, Database], lang: str) -> None:
    http, _ = client
    english = lxml.html.fromstring((await http.get("/subscribe", params={"lang": "en"})).text)
    other = lxml.html.fromstring((await http.get("/subscribe", params={"lang": lang})).text)
    for path in ("//h1", "//label[@for]", "//legend", "//button", "//footer"):
        pairs = list(zip([_text(e) for e in english.xpath(path)], [_text(e) for e in other.xpath(path)], strict=True))
        assert pairs and all(a != b for a, b in pairs), f"{path}: {pairs}"


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_every_message_of_the_pages_has_a_translation(lang: str) -> None:
    """Messages extracted from the templates and views now (not the stored template) are all translated."""
    root = Path(__file__).resolve().parents[2]
    method_map = [("alerts/web/**.py", "python"), ("alerts/web/templates/**.html", "jinja2")]
    options = {"alerts/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    wanted = {msgid for _, _, msgid, _, _ in extract_from_dir(root, method_map, options, keywords)}
    with (root / "alerts/web" / catalog_path(lang)).open("rb") as po:
        catalog = read_po(po, locale=lang)
    missing = []
    for msgid in wanted:
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = catalog.get(key)
        strings = message.string if message else ""
        if not message or not all(strings if isinstance(strings, tuple) else [strings]):
            missing.append(key)
    assert not missing, f"{lang}: untranslated {sorted(missing)}"


@pytest.mark.parametrize(
    ("lang", "killed", "shown"),
    [
        pytest.param("en", 1, "1 killed", id="en-one"),
        pytest.param("fr", 1, "1 tué", id="fr-one"),
        pytest.param("fr", 3, "3 tués", id="fr-several"),
        pytest.param("ar", 1, "قتيل واحد", id="ar-one"),
        pytest.param("ar", 2, "قتيلان", id="ar-two"),
        pytest.param("ar", 5, "5 قتلى", id="ar-few"),
        pytest.param("ar", 12, "12 قتيلًا", id="ar-many"),
        pytest.param("ar", 100, "100 قتيل", id="ar-hundred"),
    ],
)
def test_casualty_counts_use_the_languages_plural_forms(lang: str, killed: int, shown: str) -> None:
    from types import SimpleNamespace

    from alerts.web.i18n import environment

    labels = environment(lang).get_template("_labels.html").module
    assert str(labels.casualties(SimpleNamespace(killed=killed, injured=None, kidnapped=None))) == shown  # type: ignore[attr-defined]
