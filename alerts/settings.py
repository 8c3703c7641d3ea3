"""One typed settings object, built and validated once at start-up.

Sources, later wins: the defaults below, the TOML file, then ``AIDWATCH_<SECTION>__<KEY>`` environment
variables. Every error names where the bad value came from (file or variable), the key and the reason.
Nothing else in aidwatch reads the environment: the CLI calls :func:`load_settings` and passes the
result down.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from alerts.limits import (
    DAY,
    DURATION_PATTERN,
    HOUR,
    MAX_DURATION,
    MAX_FEED_INTERVAL,
    MIN_FEED_INTERVAL,
    MINUTE,
    SECOND,
    duration_parser,
    parse_duration,
)

__all__ = ["Duration", "FeedInterval", "Settings", "SettingsError", "load_settings", "parse_duration"]

ENV_PREFIX = "AIDWATCH_"


class SettingsError(Exception):
    """A configuration problem, with a message naming the source, the key and the reason."""


def _duration(minimum: float, maximum: float) -> BeforeValidator:
    return BeforeValidator(duration_parser(minimum, maximum))


#: How a duration looks in an OpenAPI document: a string with a unit, or a number of seconds.
DURATION_SCHEMA = WithJsonSchema(
    {"anyOf": [{"type": "string", "pattern": DURATION_PATTERN}, {"type": "number", "exclusiveMinimum": 0}]}
)


# Every duration key has a range: too short would hammer a server or busy-loop, too long would push
# ``now + duration`` past what datetimes hold (the unbounded "99999999999999d" broke polling).
Duration = Annotated[float, _duration(0.001, MAX_DURATION)]
#: How often one feed is polled (feed list ``interval``, ``[crawler] default_interval``).
FeedInterval = Annotated[float, _duration(MIN_FEED_INTERVAL, MAX_FEED_INTERVAL), DURATION_SCHEMA]


def _addresses(value: object) -> object:
    # From the environment a list arrives as one string: "10.0.0.1, 10.1.0.0/16".
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class _Section(BaseModel):
    # NaN and infinities (TOML has both) are refused: no range check can be made on them.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class StorageSettings(_Section):
    """Where all state lives."""

    url: str = "sqlite:///../var/aidwatch.db"
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _known_backend(cls, url: str) -> str:
        if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise ValueError("expected a sqlite:/// or postgresql:// URL")
        if url.startswith("postgres:"):
            url = "postgresql:" + url.removeprefix("postgres:")
        if url.startswith("postgresql:"):
            url = "postgresql+psycopg:" + url.removeprefix("postgresql:")
        return url


class ApiSettings(_Section):
    """The HTTP API served inside the daemon."""

    listen: str = "127.0.0.1:8080"
    public_url: str = "http://127.0.0.1:8080"
    admin_token: str = ""
    private_incidents: bool = False
    subscriptions_per_hour: int = Field(default=20, ge=1, le=1_000_000)
    # Confirmation emails one address can receive per hour, however many clients ask (anti mail bombing).
    confirmations_per_hour: int = Field(default=5, ge=1, le=1_000_000)
    max_body_bytes: int = Field(default=65536, ge=1024, le=100_000_000)
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or CIDR networks). None by
    # default: the peer address is the client, so no one can pick their rate-limit bucket by a header.
    trusted_proxies: Annotated[tuple[str, ...], BeforeValidator(_addresses)] = ()
    # A connection must deliver a complete request head within this, or it is closed (slowloris).
    header_timeout: Annotated[float, _duration(0.1 * SECOND, 5 * MINUTE)] = 10.0
    # Where the per-client and per-subscription limits are counted: "database" (shared by every daemon on
    # it) or "redis" (``redis_url``). The per-recipient confirmation limit always lives in the database.
    rate_limit_backend: Literal["database", "redis"] = "database"
    redis_url: str = Field(default="", validate_default=True)
    # Secret and token rotations and confirmation resends one subscription may ask for per hour.
    subscription_actions_per_hour: int = Field(default=10, ge=1, le=1_000_000)
    # How long a replaced webhook signing secret keeps signing next to the new one.
    secret_overlap: Annotated[float, _duration(1 * SECOND, 30 * DAY)] = 24 * HOUR

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not re.fullmatch(r"[0-9]{1,5}", port) or not 1 <= int(port) <= 65535:
            raise ValueError("expected 'host:port' with a port from 1 to 65535, e.g. '127.0.0.1:8080'")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for value in values:
            try:
                # Normalised ("10.1.2.3/16" -> "10.1.0.0/16"): uvicorn reads a network only in this form.
                parsed = ipaddress.ip_network(value, strict=False) if "/" in value else ipaddress.ip_address(value)
                out.append(str(parsed))
            except ValueError:
                raise ValueError(f"{value!r} is not an IP address or network such as '10.0.0.0/8'") from None
        return tuple(out)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str, info: ValidationInfo) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected a redis://, rediss:// or unix:// URL, e.g. 'redis://127.0.0.1:6379/0'")
        if not value and info.data.get("rate_limit_backend") == "redis":
            raise ValueError("rate_limit_backend = 'redis' needs redis_url, e.g. 'redis://127.0.0.1:6379/0'")
        return value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @property
    def host(self) -> str:
        """Host part of ``listen``, without IPv6 brackets."""
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        """Port part of ``listen``."""
        return int(self.listen.rpartition(":")[2])


class CrawlerSettings(_Section):
    """Polling, fetching and article extraction."""

    feeds: Path = Path("feeds.yaml")
    default_interval: FeedInterval = 900.0
    tick: Annotated[float, _duration(0.1 * SECOND, 1 * HOUR)] = 5.0
    jitter: float = Field(default=0.1, ge=0, le=0.5)
    fetch_articles: bool = True
    user_agent: str = "aidwatch/0.1 (+https://github.com/aidwatch/aidwatch; humanitarian incident alerts)"
    max_body_bytes: int = Field(default=10_000_000, ge=1024, le=1_000_000_000)
    download_timeout: Annotated[float, _duration(1 * SECOND, 10 * MINUTE)] = 30.0
    concurrency: int = Field(default=32, ge=1, le=1024)
    per_host_concurrency: int = Field(default=4, ge=1, le=64)
    obey_robots_txt: bool = True
    max_backoff: Annotated[float, _duration(1 * SECOND, 30 * DAY)] = 21600.0
    max_feeds_per_tick: int = Field(default=500, ge=1, le=100_000)
    crawl_stop_timeout: Annotated[float, _duration(0.1 * SECOND, 1 * MINUTE)] = 5.0
    # Feed bodies are parsed in this many worker processes (0: in a thread of the daemon).
    parser_processes: int = Field(default=1, ge=0, le=16)

    @field_validator("user_agent")
    @classmethod
    def _no_crlf(cls, value: str) -> str:
        if not value.strip() or "\r" in value or "\n" in value:
            raise ValueError("must be one non-empty line")
        return value


class ClassifierSettings(_Section):
    """The attack classifier."""

    threshold: float = Field(default=0.5, gt=0, lt=1)


class SmtpSettings(_Section):
    """The mail server alerts and confirmations are sent through."""

    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "none"
    username: str = ""
    password: str = ""
    sender: str = "aidwatch <aidwatch@localhost>"
    timeout: Annotated[float, _duration(0.1 * SECOND, 10 * MINUTE)] = 30.0


class DeliverySettings(_Section):
    """The outbox worker."""

    max_attempts: int = Field(default=8, ge=1, le=100)
    # Off: webhooks and the crawler's fetches of what feeds link to go to public addresses only (alerts.netpolicy).
    allow_private_networks: bool = False
    poll_interval: Annotated[float, _duration(0.01 * SECOND, 1 * HOUR)] = 1.0
    backoff_base: Annotated[float, _duration(0.01 * SECOND, 1 * DAY)] = 30.0
    backoff_max: Annotated[float, _duration(0.01 * SECOND, 30 * DAY)] = 3600.0
    timeout: Annotated[float, _duration(0.1 * SECOND, 10 * MINUTE)] = 15.0
    concurrency: int = Field(default=8, ge=1, le=256)

    @field_validator("backoff_max")
    @classmethod
    def _backoff_order(cls, value: float, info: ValidationInfo) -> float:
        base = info.data.get("backoff_base")
        if base is not None and value < base:
            raise ValueError("must be at least backoff_base")
        return value


class SourcesSettings(_Section):
    """What the API source kinds need besides their URL (docs/decisions/0017-source-kinds.md)."""

    # Sent as ``appname`` to the ReliefWeb API when a reliefweb feed's URL has none (ReliefWeb approves names).
    reliefweb_appname: str = Field(default="", max_length=200, pattern=r"^[^\s&#=]*$")


class ClusterSettings(_Section):
    """How several daemons share one PostgreSQL database (docs/operations.md)."""

    # How long a feed lease or an outbox claim lasts without renewal. The daemon renews what it works on
    # every third of this, so a killed daemon's feeds and alerts go to another daemon about this long
    # (plus one tick) after it died, and a daemon not heard of for this long counts as gone.
    lease: Annotated[float, _duration(3 * SECOND, 10 * MINUTE)] = 30.0


class WebSubSettings(_Section):
    """WebSub push for feeds that name a hub (docs/decisions/0019-websub.md)."""

    # Off by default: the hub must reach the callback under ``[api] public_url``.
    enabled: bool = False
    # The lease asked for; the hub decides (it may grant less or more).
    lease: Annotated[float, _duration(1 * MINUTE, 30 * DAY)] = 7 * DAY
    # Ask again this long before the lease ends (at most half-way through a short lease).
    renew_before: Annotated[float, _duration(1 * SECOND, 7 * DAY)] = 1 * HOUR
    # How often subscriptions are discovered, requested, renewed and checked for lapses.
    check_interval: Annotated[float, _duration(0.1 * SECOND, 1 * HOUR)] = 30.0
    # A request the hub has not verified within this has failed: the feed stays polled.
    verify_timeout: Annotated[float, _duration(1 * SECOND, 1 * DAY)] = 2 * MINUTE
    # After a hub failure, refusal or lapse, subscribe again after this long (the feed is polled meanwhile).
    retry_interval: Annotated[float, _duration(1 * SECOND, 30 * DAY)] = 1 * HOUR
    # A feed that names no hub is looked at again after this long.
    rediscover_interval: Annotated[float, _duration(1 * MINUTE, 30 * DAY)] = 1 * DAY
    # A feed with a live lease is still polled this often: a hub failing silently delays entries by at most this.
    safety_poll_interval: Annotated[float, _duration(1 * MINUTE, 30 * DAY)] = 1 * HOUR
    # Feeds whose hub is looked for per check, at most (the first start-up spreads over several checks).
    discoveries_per_check: int = Field(default=20, ge=1, le=10_000)


class WebSettings(_Section):
    """The web pages served at ``/`` (alerts.web)."""

    # Optional XYZ tile server for the incident map ("https://tiles.example.org/{z}/{x}/{y}.png"); empty: the
    # map is drawn over the shipped world outline and no third party is contacted.
    map_tile_url: str = Field(default="", max_length=500)
    # Credit line the tile provider asks for, shown under the map.
    map_tile_attribution: str = Field(default="", max_length=300)

    @field_validator("map_tile_url")
    @classmethod
    def _tile_template(cls, value: str) -> str:
        if value and not (value.startswith(("http://", "https://")) and all(p in value for p in ("{z}", "{x}", "{y}"))):
            raise ValueError("expected an http(s) URL containing {z}, {x} and {y}, or an empty string")
        return value


class Settings(_Section):
    """Everything aidwatch can be configured with (README, Configuration)."""

    storage: StorageSettings = StorageSettings()
    api: ApiSettings = ApiSettings()
    crawler: CrawlerSettings = CrawlerSettings()
    classifier: ClassifierSettings = ClassifierSettings()
    smtp: SmtpSettings = SmtpSettings()
    delivery: DeliverySettings = DeliverySettings()
    sources: SourcesSettings = SourcesSettings()
    cluster: ClusterSettings = ClusterSettings()
    websub: WebSubSettings = WebSubSettings()
    web: WebSettings = WebSettings()
    config_file: Path | None = None


def load_settings(path: Path | None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file at ``path`` (or only defaults when None), overlay the environment, validate.

    Relative paths in the file (feed list, SQLite database) resolve against the file's own folder.
    """
    data: dict[str, Any] = {}
    origin: dict[tuple[str, ...], str] = {}
    base_dir = Path.cwd()
    if path is not None:
        path = path.expanduser().resolve()
        base_dir = path.parent
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError(f"{path}: config file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: cannot read config file: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: invalid TOML: {exc}") from None
        for section, values in data.items():
            if isinstance(values, dict):
                for key in values:
                    origin[(section, key)] = str(path)
            origin[(section,)] = str(path)
    for name, value in (environ or {}).items():
        if not name.startswith(ENV_PREFIX) or "__" not in name or name == "AIDWATCH_CONFIG":
            continue
        section, _, key = name.removeprefix(ENV_PREFIX).lower().partition("__")
        target = data.setdefault(section, {})
        if not isinstance(target, dict):
            raise SettingsError(f"environment variable {name}: [{section}] is not a section")
        target[key] = value
        origin[(section, key)] = f"environment variable {name}"
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(_describe(exc, origin, path)) from None
    return _resolve_paths(settings, base_dir, path)


def _describe(exc: ValidationError, origin: dict[tuple[str, ...], str], path: Path | None) -> str:
    problems = []
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        where = origin.get(loc[:2]) or origin.get(loc[:1]) or (str(path) if path else "defaults")
        key = f"[{loc[0]}] {'.'.join(loc[1:])}" if len(loc) > 1 else f"[{loc[0]}]" if loc else "?"
        reason = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            reason = "unknown key"
        problems.append(f"{where}: {key}: {reason}")
    return "invalid configuration:\n  " + "\n  ".join(problems)


def _resolve_paths(settings: Settings, base_dir: Path, path: Path | None) -> Settings:
    storage = settings.storage
    prefix = next((p for p in ("sqlite:///", "sqlite+pysqlite:///") if storage.url.startswith(p)), None)
    if prefix is not None:
        db_path = storage.url.removeprefix(prefix)
        if db_path and db_path != ":memory:" and not Path(db_path).is_absolute():
            resolved = (base_dir / db_path).resolve()
            storage = storage.model_copy(update={"url": f"sqlite:///{resolved}"})
    crawler = settings.crawler
    if not crawler.feeds.is_absolute():
        crawler = crawler.model_copy(update={"feeds": (base_dir / crawler.feeds).resolve()})
    return settings.model_copy(update={"storage": storage, "crawler": crawler, "config_file": path})
