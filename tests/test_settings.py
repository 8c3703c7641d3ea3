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


@pytest.mark.parametrize(
    "text", ["soon", "-5s", "0", "", "5 parsecs", True, float("nan"), float("inf"), "99999999999999999999d", 10**40]
)
def test_bad_durations_are_refused(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("env", "key", "reason"),
    [
        pytest.param(
            {"AIDWATCH_CRAWLER__DEFAULT_INTERVAL": "99999999999999d"},
            "[crawler] default_interval",
            "at most 30d",
            id="huge-default-interval",
        ),
        pytest.param(
            {"AIDWATCH_CRAWLER__DEFAULT_INTERVAL": "0.5s"},
            "[crawler] default_interval",
            "at least 1s",
            id="tiny-default-interval",
        ),
        pytest.param({"AIDWATCH_CRAWLER__TICK": "2d"}, "[crawler] tick", "at most 1h", id="huge-tick"),
        pytest.param({"AIDWATCH_CRAWLER__TICK": "1ms"}, "[crawler] tick", "at least 100ms", id="tiny-tick"),
        pytest.param({"AIDWATCH_CRAWLER__TICK": "nan"}, "[crawler] tick", "not a duration", id="nan-tick"),
        pytest.param(
            {"AIDWATCH_CRAWLER__MAX_BACKOFF": "1" + "0" * 30}, "[crawler] max_backoff", "at most 30d", id="huge-backoff"
        ),
        pytest.param({"AIDWATCH_CRAWLER__JITTER": "nan"}, "[crawler] jitter", "finite", id="nan-jitter"),
        pytest.param({"AIDWATCH_CRAWLER__JITTER": "0.9"}, "[crawler] jitter", "0.5", id="big-jitter"),
        pytest.param(
            {"AIDWATCH_CRAWLER__DOWNLOAD_TIMEOUT": "1d"},
            "[crawler] download_timeout",
            "at most 10m",
            id="huge-download-timeout",
        ),
        pytest.param(
            {"AIDWATCH_CRAWLER__MAX_FEEDS_PER_TICK": str(2**70)},
            "[crawler] max_feeds_per_tick",
            "less than or equal",
            id="huge-feeds-per-tick",
        ),
        pytest.param(
            {"AIDWATCH_CRAWLER__MAX_BODY_BYTES": str(2**70)},
            "[crawler] max_body_bytes",
            "less than or equal",
            id="huge-crawler-body",
        ),
        pytest.param(
            {"AIDWATCH_API__MAX_BODY_BYTES": str(2**70)},
            "[api] max_body_bytes",
            "less than or equal",
            id="huge-api-body",
        ),
        pytest.param(
            {"AIDWATCH_API__SUBSCRIPTIONS_PER_HOUR": "0"},
            "[api] subscriptions_per_hour",
            "greater than or equal",
            id="zero-rate",
        ),
        pytest.param({"AIDWATCH_API__LISTEN": "127.0.0.1:0"}, "[api] listen", "1 to 65535", id="port-zero"),
        pytest.param({"AIDWATCH_API__LISTEN": "127.0.0.1:99999"}, "[api] listen", "1 to 65535", id="port-too-big"),
        pytest.param(
            {"AIDWATCH_API__TRUSTED_PROXIES": "10.0.0.1, proxy"},
            "[api] trusted_proxies",
            "'proxy' is not an IP address",
            id="bad-proxy",
        ),
        pytest.param(
            {"AIDWATCH_API__HEADER_TIMEOUT": "1h"}, "[api] header_timeout", "at most 5m", id="huge-header-timeout"
        ),
        pytest.param({"AIDWATCH_SMTP__PORT": "70000"}, "[smtp] port", "less than or equal", id="smtp-port"),
        pytest.param({"AIDWATCH_SMTP__TIMEOUT": "1e400"}, "[smtp] timeout", "not a duration", id="smtp-timeout-inf"),
        pytest.param(
            {"AIDWATCH_DELIVERY__BACKOFF_MAX": "1s"},
            "[delivery] backoff_max",
            "at least backoff_base",
            id="backoff-max-below-base",
        ),
        pytest.param(
            {"AIDWATCH_DELIVERY__BACKOFF_BASE": "9999d"},
            "[delivery] backoff_base",
            "at most 1d",
            id="huge-backoff-base",
        ),
        pytest.param(
            {"AIDWATCH_DELIVERY__POLL_INTERVAL": "2h"},
            "[delivery] poll_interval",
            "at most 1h",
            id="huge-poll-interval",
        ),
        pytest.param(
            {"AIDWATCH_DELIVERY__TIMEOUT": "0.01s"}, "[delivery] timeout", "at least 100ms", id="tiny-delivery-timeout"
        ),
        pytest.param(
            {"AIDWATCH_DELIVERY__MAX_ATTEMPTS": "1000"},
            "[delivery] max_attempts",
            "less than or equal",
            id="max-attempts",
        ),
        pytest.param({"AIDWATCH_CLASSIFIER__THRESHOLD": "nan"}, "[classifier] threshold", "finite", id="nan-threshold"),
    ],
)
def test_every_number_and_duration_has_a_range(env: dict[str, str], key: str, reason: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(FIXTURES / "valid.toml", env)
    message = str(caught.value)
    assert f"environment variable {next(iter(env))}: {key}: " in message and reason in message, message


def test_infinite_and_nan_toml_values_name_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "aidwatch.toml"
    config.write_text("[crawler]\njitter = nan\n[delivery]\ntimeout = inf\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(config, {})
    message = str(caught.value)
    assert f"{config}: [crawler] jitter" in message and f"{config}: [delivery] timeout" in message, message


def test_trusted_proxies_from_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "aidwatch.toml"
    config.write_text('[api]\ntrusted_proxies = ["10.0.0.1", "192.168.0.0/16"]\nheader_timeout = "3s"\n')
    settings = load_settings(config, {})
    assert settings.api.trusted_proxies == ("10.0.0.1", "192.168.0.0/16") and settings.api.header_timeout == 3
    assert load_settings(None, {}).api.trusted_proxies == ()  # nobody is trusted by default
    env = {"AIDWATCH_API__TRUSTED_PROXIES": "::1, 127.0.0.1"}
    assert load_settings(config, env).api.trusted_proxies == ("::1", "127.0.0.1")


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
        pytest.param("feeds_bad_url.yaml", "feeds[0] (id 'one') url", id="bad-url"),
        pytest.param("feeds_not_a_list.yaml", "'feeds' list", id="not-a-list"),
        pytest.param("feeds_missing.yaml", "not found", id="missing"),
        pytest.param(
            "feeds_huge_interval.yaml", "feeds[1] (id 'forever') interval: must be at most 30d", id="huge-interval"
        ),
        pytest.param(
            "feeds_tiny_interval.yaml", "feeds[0] (id 'hammer') interval: must be at least 1s", id="tiny-interval"
        ),
    ],
)
def test_feed_list_errors(name: str, fragment: str) -> None:
    with pytest.raises(SettingsError, match=r".*") as caught:
        load_feed_list(FIXTURES / name, 600, True)
    assert name in str(caught.value) and fragment in str(caught.value)
