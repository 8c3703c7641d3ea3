"""Tests that read ../shared: a missing file skips with a message, and fails under CI=true."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.shared import require_shared


@pytest.mark.parametrize(
    ("ci", "layout", "outcome"),
    [
        pytest.param("true", "missing", pytest.fail.Exception, id="ci-missing-file-fails"),
        pytest.param("true", "empty-folder", pytest.fail.Exception, id="ci-empty-folder-fails"),
        pytest.param(None, "missing", pytest.skip.Exception, id="local-missing-file-skips"),
        pytest.param("false", "empty-folder", pytest.skip.Exception, id="ci-false-empty-folder-skips"),
        pytest.param("true", "present", None, id="ci-present-runs"),
        pytest.param(None, "present", None, id="local-present-runs"),
    ],
)
def test_require_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ci: str | None, layout: str, outcome: type[BaseException] | None
) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    path = tmp_path / "corpus"
    if layout == "empty-folder":
        path.mkdir()
    elif layout == "present":
        path.mkdir()
        (path / "feed.xml").write_text("<rss/>", encoding="utf-8")
    if outcome is None:
        require_shared(path)
        return
    with pytest.raises(outcome) as raised:
        require_shared(path)
    assert str(path) in str(raised.value), "the message names the missing path"
