"""Scrapy settings of aidwatch (``scrapy.cfg`` points here) and the mapping from our typed settings.

The module-level names are what ``scrapy crawl feeds`` reads; :func:`scrapy_settings` starts from
them and overlays the values of :class:`alerts.settings.Settings`, which the daemon passes in.
"""

from __future__ import annotations

import sys

from scrapy.settings import Settings as ScrapySettings

from alerts.settings import Settings
from crawler.reactor import ASYNCIO_REACTOR

BOT_NAME = "aidwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

TWISTED_REACTOR = ASYNCIO_REACTOR
# Both servers listen on a port; the remote-control one executes code sent to it.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

USER_AGENT = "aidwatch/0.1 (+https://github.com/aidwatch/aidwatch; humanitarian incident alerts)"
ROBOTSTXT_OBEY = True
# The RFC 2616 cache serves feeds without polling them and drops validators: our middleware does
# conditional GET instead.
HTTPCACHE_ENABLED = False
COOKIES_ENABLED = False
# Failing feeds back off through our own schedule (storage computes next_poll_at); Scrapy's
# immediate retries would only hammer a struggling server.
RETRY_ENABLED = False
AUTOTHROTTLE_ENABLED = False
REDIRECT_MAX_TIMES = 5
METAREFRESH_ENABLED = False
DOWNLOAD_TIMEOUT = 30
DNS_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10_000_000
DOWNLOAD_WARNSIZE = 2_000_000
CONCURRENT_REQUESTS = 32
# Items processed at once per callback. Scrapy starts this many worker tasks for EVERY callback
# (also the 304s, which yield nothing): its default of 100 cost ~0.6 ms of CPU per poll. More would
# not help: classification is CPU-bound under the GIL and storage is serialised by the merge lock.
CONCURRENT_ITEMS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 4
LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 0.0
STATS_DUMP = False

# Scrapy's HTTP/1.1 handler, plus a way to cut in-flight downloads when the daemon stops. Nothing else:
# a feed entry linking to file:///etc/passwd or s3:// must find no handler.
DOWNLOAD_HANDLERS = {
    "http": "crawler.download_handler.AbortableHTTPDownloadHandler",
    "https": "crawler.download_handler.AbortableHTTPDownloadHandler",
    "data": None,
    "file": None,
    "ftp": None,
    "s3": None,
}
# Article links, redirects and their robots.txt must go to public addresses (crawler.fetchpolicy); the
# setting below is fed by [delivery] allow_private_networks. A proxy from http_proxy would resolve names
# beyond the policy's reach, so none is used.
AIDWATCH_ALLOW_PRIVATE_NETWORKS = False
TWISTED_DNS_RESOLVER = "crawler.fetchpolicy.CheckingResolver"
HTTPPROXY_ENABLED = False
DOWNLOADER_MIDDLEWARES = {
    "crawler.fetchpolicy.FetchPolicyMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.CachedRobotsTxtMiddleware": 100,
    "crawler.middlewares.ConditionalGetMiddleware": 560,
}
ITEM_PIPELINES = {"crawler.pipelines.IngestPipeline": 300}


def scrapy_settings(settings: Settings) -> ScrapySettings:
    """Scrapy settings for one crawl: this module's values overlaid with ``settings.crawler``."""
    result = ScrapySettings()
    result.setmodule(sys.modules[__name__], priority="project")
    result.setdict(crawler_overrides(settings), priority="project")
    return result


def crawler_overrides(settings: Settings) -> dict[str, object]:
    """The Scrapy settings that ``settings.crawler`` decides."""
    crawler = settings.crawler
    return {
        "USER_AGENT": crawler.user_agent,
        "ROBOTSTXT_OBEY": crawler.obey_robots_txt,
        "DOWNLOAD_TIMEOUT": crawler.download_timeout,
        "DNS_TIMEOUT": crawler.download_timeout,
        "DOWNLOAD_MAXSIZE": crawler.max_body_bytes,
        "DOWNLOAD_WARNSIZE": min(DOWNLOAD_WARNSIZE, crawler.max_body_bytes),
        "CONCURRENT_REQUESTS": crawler.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawler.per_host_concurrency,
        "AIDWATCH_ALLOW_PRIVATE_NETWORKS": settings.delivery.allow_private_networks,
    }
