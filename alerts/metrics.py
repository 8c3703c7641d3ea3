"""Prometheus metrics, in one registry the daemon exposes at ``/metrics``."""

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

# Without this every counter and histogram also exports a `*_created` series (its creation time), which
# dashboards never use and which doubles what an operator scrolls through.
disable_created_metrics()

REGISTRY = CollectorRegistry(auto_describe=True)
# The standard collectors (process CPU, memory and file descriptors; Python GC; interpreter version) are
# registered only in prometheus_client's default registry: add the same instances to ours.
for _collector in (PROCESS_COLLECTOR, GC_COLLECTOR, PLATFORM_COLLECTOR):
    REGISTRY.register(_collector)

POLLS = Counter("aidwatch_feed_polls", "Feed polls by source kind and outcome", ["kind", "status"], registry=REGISTRY)
POLL_SECONDS = Histogram(
    "aidwatch_crawl_seconds",
    "Wall time of one crawl (a tick's batch of due feeds)",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180),
    registry=REGISTRY,
)
ENTRIES_NEW = Counter("aidwatch_entries_new", "Feed entries never seen before", registry=REGISTRY)
ARTICLES = Counter("aidwatch_articles_stored", "Articles stored", registry=REGISTRY)
INCIDENTS = Counter("aidwatch_incidents", "Incidents created or updated", ["event"], registry=REGISTRY)
# How much of the news flow is read well: documents per detected language and its support level ("full",
# "partial" = best-effort lexicon, "none" = read with the English lexicon, so attacks in it are missed).
DOCUMENTS_CLASSIFIED = Counter(
    "aidwatch_documents_classified",
    "Documents classified, by language and how well the classifier reads it",
    ["lang", "support"],
    registry=REGISTRY,
)
ALERTS_QUEUED = Counter("aidwatch_alerts_queued", "Outbox rows written", registry=REGISTRY)
DELIVERIES = Counter(
    "aidwatch_deliveries",
    "Delivery attempts by channel and outcome",
    ["channel", "status"],
    registry=REGISTRY,
)
FEEDS_DUE = Gauge("aidwatch_feeds_due", "Feeds due at the last tick", registry=REGISTRY)
TICK_ERRORS = Counter("aidwatch_tick_errors", "Ticks that failed (e.g. database unreachable)", registry=REGISTRY)
DATABASE_OUTAGES = Counter(
    "aidwatch_database_outages",
    "Database outages seen by a loop (each logged once when it starts and once when it ends)",
    ["component"],
    registry=REGISTRY,
)
# Cluster: which daemon this is and its part of the work (docs/operations.md).
DAEMON_INFO = Gauge("aidwatch_daemon_info", "This daemon's id (value 1)", ["daemon_id"], registry=REGISTRY)
DAEMON_FEED_LEASES = Gauge("aidwatch_daemon_feed_leases", "Feeds this daemon holds leased", registry=REGISTRY)
DAEMON_OUTBOX_CLAIMS = Gauge(
    "aidwatch_daemon_outbox_claims", "Outbox rows this daemon holds claimed", registry=REGISTRY
)
DAEMON_WORK_SHARE = Gauge(
    "aidwatch_daemon_work_share",
    "This daemon's share (0..1) of the polls or deliveries of all live daemons since each started",
    ["work"],
    registry=REGISTRY,
)
CLUSTER_DAEMONS = Gauge("aidwatch_cluster_daemons", "Live daemons sharing the database", registry=REGISTRY)
