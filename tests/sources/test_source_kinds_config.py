"""Source kinds in the feed list, the schema, the admin API and the command line (feeds table, gdelt-queries)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
import yaml
from sqlalchemy import text

from alerts.api import create_app
from alerts.classify.lexicon import LANGUAGES
from alerts.feedlist import load_feed_list
from alerts.models import FeedSource
from alerts.settings import SettingsError
from alerts.store import make_database, upgrade
from alerts.store.feeds import sync_feed_list
from crawler.api_listing import GDELT_LANGUAGES
from crawler.cli import main
from crawler.gdelt_query import plain_term
from tests.api.conftest import ADMIN, make_settings
from tests.crawler.helpers import database, feed_row

GDELT = "https://api.gdeltproject.org/api/v2/doc/doc?query=clinic+attack&mode=ArtList&format=json"
RELIEFWEB = "https://api.reliefweb.int/v2/reports?appname=x&profile=full&query[value]=attack"


def feed_list(tmp_path: Path, *entries: dict[str, object]) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump({"feeds": list(entries)}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("entry", "kind"),
    [
        pytest.param({"url": "https://news.example/rss"}, "rss", id="rss-by-default"),
        pytest.param({"kind": "gdelt", "url": GDELT + "&maxrecords=250"}, "gdelt", id="gdelt"),
        pytest.param({"kind": "reliefweb", "url": RELIEFWEB + "&limit=1000"}, "reliefweb", id="reliefweb"),
        pytest.param(
            {"kind": "reliefweb", "url": "http://127.0.0.1:8000/v1/reports/"},
            "reliefweb",
            id="reliefweb-on-a-local-server",
        ),
    ],
)
def test_the_feed_list_reads_the_kind(tmp_path: Path, entry: dict[str, object], kind: str) -> None:
    [source] = load_feed_list(feed_list(tmp_path, {"id": "one", **entry}), 900, True)
    assert source.kind == kind


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        pytest.param({"kind": "atom", "url": GDELT}, ["kind:", "'rss', 'gdelt' or 'reliefweb'"], id="unknown-kind"),
        pytest.param(
            {"kind": "gdelt", "url": "https://api.gdeltproject.org/api/v2/doc/doc?mode=ArtList&format=json"},
            ["url:", "query="],
            id="gdelt-without-query",
        ),
        pytest.param(
            {"kind": "gdelt", "url": GDELT.replace("ArtList", "TimelineVol")},
            ["url:", "mode=ArtList"],
            id="gdelt-timeline-mode",
        ),
        pytest.param(
            {"kind": "gdelt", "url": GDELT.replace("format=json", "format=html")},
            ["url:", "format=json"],
            id="gdelt-html-format",
        ),
        pytest.param(
            {"kind": "gdelt", "url": GDELT + "&maxrecords=500"},
            ["url:", "maxrecords", "1 to 250", "'500'"],
            id="gdelt-too-many-records",
        ),
        pytest.param(
            {"kind": "reliefweb", "url": "https://api.reliefweb.int/v2/disasters?appname=x"},
            ["url:", "reports list"],
            id="reliefweb-not-reports",
        ),
        pytest.param(
            {"kind": "reliefweb", "url": RELIEFWEB + "&limit=5000"},
            ["url:", "limit", "1 to 1000"],
            id="reliefweb-limit-too-high",
        ),
        pytest.param({"kind": "gdelt", "url": "ftp://api.gdeltproject.org/doc"}, ["url:", "http://"], id="not-http"),
    ],
)
def test_a_bad_source_entry_names_the_file_entry_key_and_reason(
    tmp_path: Path, entry: dict[str, object], words: list[str]
) -> None:
    path = feed_list(tmp_path, {"id": "news", "url": "https://news.example/rss"}, {"id": "api", **entry})
    with pytest.raises(SettingsError) as raised:
        load_feed_list(path, 900, True)
    message = str(raised.value)
    assert message.startswith(f"{path}: feeds[1] (id 'api') ")
    assert all(word in message for word in words), message


def test_changing_a_feeds_kind_forgets_its_validators_and_polls_it_at_once(tmp_path: Path) -> None:
    db = database(tmp_path / "aidwatch.db")
    sync_feed_list(db, [FeedSource(id="src", url=GDELT, interval_seconds=900)])
    with db.session() as session:
        session.execute(text("UPDATE feeds SET etag = 'e1', next_poll_at = '2999-01-01 00:00:00.000000'"))

    changed = sync_feed_list(db, [FeedSource(id="src", url=GDELT, interval_seconds=900, kind="gdelt")])

    row = feed_row(db, "src")
    assert (changed, row.kind, row.etag) == (1, "gdelt", None) and row.next_poll_at.year < 2999


def test_the_migration_makes_existing_feeds_rss(tmp_path: Path) -> None:
    db = make_database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(db, "0002_confirmation_requests")
    with db.session() as session:
        session.execute(
            text(
                "INSERT INTO feeds (id, url, interval_seconds, fetch_articles, origin, enabled, created_at, "
                "next_poll_at, error_count, polls, entries_seen) VALUES ('old', 'https://news.example/rss', 900, "
                "1, 'file', 1, '2026-11-01 00:00:00.000000', '2026-11-01 00:00:00.000000', 0, 0, 0)"
            )
        )
    upgrade(db)
    assert feed_row(db, "old").kind == "rss"


@pytest.mark.asyncio(loop_scope="session")
async def test_admin_api_adds_lists_and_refuses_source_kinds(tmp_path: Path) -> None:
    db = database(tmp_path / "aidwatch.db")
    app = create_app(make_settings(), db)
    auth = {"Authorization": f"Bearer {ADMIN}"}
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://testserver") as http:
        created = await http.post("/api/v1/feeds", json={"id": "gdelt-en", "kind": "gdelt", "url": GDELT}, headers=auth)
        plain = await http.post("/api/v1/feeds", json={"id": "news", "url": "https://news.example/rss"}, headers=auth)
        bad_url = await http.post("/api/v1/feeds", json={"id": "rw", "kind": "reliefweb", "url": GDELT}, headers=auth)
        bad_kind = await http.post("/api/v1/feeds", json={"id": "x", "kind": "atom", "url": GDELT}, headers=auth)
        listed = await http.get("/api/v1/feeds", headers=auth)
        one = await http.get("/api/v1/feeds/gdelt-en", headers=auth)
    assert (created.status_code, created.json()["kind"], plain.json()["kind"]) == (201, "gdelt", "rss")
    assert bad_url.status_code == 400 and bad_url.json()["error"]["field"] == "url"
    assert "reports list" in bad_url.json()["error"]["message"]
    assert bad_kind.status_code == 400 and bad_kind.json()["error"]["field"] == "kind"
    assert {f["id"]: f["kind"] for f in listed.json()["feeds"]} == {"gdelt-en": "gdelt", "news": "rss"}
    assert one.json()["kind"] == "gdelt"


def write_config(tmp_path: Path) -> Path:
    config = tmp_path / "aidwatch.toml"
    config.write_text(
        f'[storage]\nurl = "sqlite:///{tmp_path / "aidwatch.db"}"\n[crawler]\nfeeds = "{tmp_path / "feeds.yaml"}"\n',
        encoding="utf-8",
    )
    return config


def test_aidwatch_feeds_shows_each_feeds_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    db = database(tmp_path / "aidwatch.db")
    sync_feed_list(
        db,
        [
            FeedSource(id="gdelt-en", url=GDELT, interval_seconds=900, kind="gdelt"),
            FeedSource(id="news", url="https://news.example/rss", interval_seconds=900),
        ],
    )
    assert main(["--config", str(config), "feeds"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["ID", "KIND", "STATUS"]
    assert {line.split()[0]: line.split()[1] for line in lines[1:-1]} == {"gdelt-en": "gdelt", "news": "rss"}


def test_gdelt_queries_prints_a_valid_feed_entry_per_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(write_config(tmp_path)), "sources", "gdelt-queries", "--timespan", "6h"]) == 0
    printed = capsys.readouterr().out
    path = tmp_path / "gdelt.yaml"
    path.write_text("feeds:\n" + printed, encoding="utf-8")

    sources = load_feed_list(path, 900, True)  # the printed lines are a valid feed list

    assert [s.id for s in sources] == sorted(f"gdelt-{lang}" for lang in LANGUAGES if lang in GDELT_LANGUAGES)
    for source in sources:
        params = parse_qs(urlsplit(source.url).query)
        assert (source.kind, params["timespan"], params["mode"]) == ("gdelt", ["6h"], ["ArtList"])
        query = params["query"][0]
        assert query.endswith(f"sourcelang:{GDELT_LANGUAGES[source.language or '']}")
        assert '"aid worker"' in query and '"red cross"' in query and "(attack OR " in query


@pytest.mark.parametrize(
    ("pattern", "term"),
    [
        pytest.param("clinics?", "clinic", id="optional-plural"),
        pytest.param("attack(?:ed|s|ing|ers?)?", "attack", id="optional-group"),
        pytest.param("aid (?:workers?|staffers?|staff)", "aid worker", id="first-alternative"),
        pytest.param("(?:refugee|idp) (?:camps?|sites?)", "refugee camp", id="two-groups"),
        pytest.param("red cross", "red cross", id="phrase"),
        pytest.param("UN", None, id="short-acronym"),
        pytest.param("displaced(?! (?:half|more))", None, id="look-ahead"),
        pytest.param(r"(?:convoys?) (?:\S+ ){0,3}?carrying", None, id="wildcard-words"),
    ],
)
def test_plain_terms_of_lexicon_patterns(pattern: str, term: str | None) -> None:
    assert plain_term(pattern) == term
