"""``/metrics`` over a real socket: aidwatch's own metrics and prometheus_client's standard collectors."""

from __future__ import annotations

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families

from alerts import metrics
from alerts.store import Database
from tests.api.conftest import serving


@pytest.mark.parametrize(
    "family",
    [
        pytest.param("process_cpu_seconds", id="process-cpu"),
        pytest.param("process_resident_memory_bytes", id="process-memory"),
        pytest.param("process_open_fds", id="process-fds"),
        pytest.param("process_start_time_seconds", id="process-start"),
        pytest.param("python_gc_collections", id="gc-collections"),
        pytest.param("python_info", id="platform"),
        pytest.param("aidwatch_deliveries", id="aidwatch-own"),
    ],
)
async def test_metrics_has_the_standard_collectors(db: Database, family: str) -> None:
    async with serving(db) as (host, port), httpx2.AsyncClient(timeout=10) as http:
        response = await http.get(f"http://{host}:{port}/metrics")
    assert response.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    assert family in families, sorted(families)
    if family != "aidwatch_deliveries":  # ours has no samples until something is delivered
        assert families[family].samples, family


async def test_process_figures_are_this_process(db: Database) -> None:
    async with serving(db) as (host, port), httpx2.AsyncClient(timeout=10) as http:
        text = (await http.get(f"http://{host}:{port}/metrics")).text
    samples = {s.name: s for f in text_string_to_metric_families(text) for s in f.samples}
    assert samples["process_cpu_seconds_total"].value > 0
    assert samples["process_resident_memory_bytes"].value > 1 << 20
    assert samples["process_start_time_seconds"].value > 0
    info = samples["python_info"].labels
    assert info["implementation"] == "CPython" and info["major"] == "3"
    assert samples["process_open_fds"].value <= samples["process_max_fds"].value


async def test_counters_export_no_created_series(db: Database) -> None:
    metrics.ALERTS_QUEUED.inc(0)  # a counter with a sample, which would carry a _created one
    async with serving(db) as (host, port), httpx2.AsyncClient(timeout=10) as http:
        response = await http.get(f"http://{host}:{port}/metrics")
    assert "aidwatch_alerts_queued_total" in response.text
    assert "_created" not in response.text
