"""Settings: one validated object from TOML + environment, errors naming source, key and reason."""

from pathlib import Path

import pytest

from alerts.feedlist import load_feed_list
from alerts.settings import SettingsError, load_settings, parse_duration

FIXTURES = Path(__file__).parent / "fixtures" / "config"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("30s", 30, id="seconds"),
        pytest.param("15m", 900, id="minutes"),
        pytest.param("2h", 7200, id="hours"),
        pytest.param("1d", 86400, id="days"),
        pytest.param("250ms", 0.25, id="milliseconds"),
        pytest.param(45, 45, id="bare-int"),
        pytest.param("45", 45, id="bare-string"),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["soon", "-5s", "0", "", "5 parsecs", True])
def test_bad_durations_are_refused(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_valid_file_resolves_relative_paths_against_its_folder() -> None:
    settings = load_settings(FIXTURES / "valid.toml", {})
    assert settings.storage.url == f"sqlite:///{(FIXTURES / 'data' / 'test.db').resolve()}"
    assert settings.crawler.feeds == (FIXTURES / "feeds.yaml").resolve()
    assert settings.crawler.default_interval == 120
    assert settings.api.port == 9999 and settings.api.host == "127.0.0.1"
    assert settings.smtp.security == "starttls"


def test_environment_overrides_file() -> None:
    env = {
        "AIDWATCH_STORAGE__URL": "postgresql://u@127.0.0.1/db",
        "AIDWATCH_DELIVERY__ALLOW_PRIVATE_NETWORKS": "true",
        "AIDWATCH_CRAWLER__DEFAULT_INTERVAL": "90s",
        "UNRELATED": "x",
    }
    settings = load_settings(FIXTURES / "valid.toml", env)
    assert settings.storage.url == "postgresql+psycopg://u@127.0.0.1/db"
    assert settings.delivery.allow_private_networks is True
    assert settings.crawler.default_interval == 90


def test_defaults_without_a_file() -> None:
    settings = load_settings(None, {})
    assert settings.classifier.threshold == 0.5
    assert settings.delivery.allow_private_networks is False


def test_shipped_config_and_feed_list_are_valid() -> None:
    from config import DEFAULT_CONFIG_FILE

    settings = load_settings(DEFAULT_CONFIG_FILE, {})
    assert settings.storage.url.endswith("/var/aidwatch.db")
    feeds = load_feed_list(settings.crawler.feeds, settings.crawler.default_interval, True)
    assert len(feeds) >= 15
    assert {f.language for f in feeds} >= {"en", "fr", "es", "ar"}
    assert all(f.url.startswith("https://") for f in feeds)


@pytest.mark.parametrize(
    ("source", "env", "expected"),
    [
        pytest.param(
            "bad_duration.toml",
            {},
            ["bad_duration.toml", "[crawler] default_interval", "soon"],
            id="bad-duration",
        ),
        pytest.param("unknown_key.toml", {}, ["unknown_key.toml", "[smtp] hots", "unknown key"], id="unknown-key"),
        pytest.param("bad_listen.toml", {}, ["[api] listen", "host:port"], id="bad-listen"),
        pytest.param("broken.toml", {}, ["broken.toml", "invalid TOML"], id="broken-toml"),
        pytest.param("missing.toml", {}, ["missing.toml", "not found"], id="missing-file"),
        pytest.param(
            "valid.toml",
            {"AIDWATCH_SMTP__PORT": "seventy"},
            ["environment variable AIDWATCH_SMTP__PORT", "[smtp] port"],
            id="bad-env-value",
        ),
        pytest.param(
            "valid.toml",
            {"AIDWATCH_CLASSIFIER__THRESHOLD": "1.5"},
            ["AIDWATCH_CLASSIFIER__THRESHOLD", "[classifier] threshold", "less than 1"],
            id="threshold-out-of-range",
        ),
        pytest.param(
            "valid.toml",
            {"AIDWATCH_STORAGE__URL": "mysql://x"},
            ["AIDWATCH_STORAGE__URL", "[storage] url", "sqlite"],
            id="unsupported-database",
        ),
    ],
)
def test_errors_name_source_key_and_reason(source: str, env: dict[str, str], expected: list[str]) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(FIXTURES / source, env)
    for fragment in expected:
        assert fragment in str(caught.value)


def test_feed_list_defaults_and_overrides() -> None:
    feeds = load_feed_list(FIXTURES / "feeds.yaml", 600, True)
    assert [(f.id, f.interval_seconds, f.language, f.fetch_articles) for f in feeds] == [
        ("one", 600, None, True),
        ("two", 30, "fr", False),
    ]


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        pytest.param("feeds_duplicate.yaml", "feeds[1] id: duplicate", id="duplicate-id"),
        pytest.param("feeds_bad_url.yaml", "feeds[0] url", id="bad-url"),
        pytest.param("feeds_not_a_list.yaml", "'feeds' list", id="not-a-list"),
        pytest.param("feeds_missing.yaml", "not found", id="missing"),
    ],
)
def test_feed_list_errors(name: str, fragment: str) -> None:
    with pytest.raises(SettingsError, match=r".*") as caught:
        load_feed_list(FIXTURES / name, 600, True)
    assert name in str(caught.value) and fragment in str(caught.value)
