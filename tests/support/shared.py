"""The data in ../shared (corpus feeds, seed report, dev set) that some tests read at run time.

It belongs to its publishers and is never copied into the repository. A test that needs it carries
``@pytest.mark.shared(path, ...)``; when a path is missing the test is skipped with a message, except
under ``CI=true``, where it fails: CI always has ../shared beside the clone, so a missing file there is
a broken set-up, not a reason to pass quietly.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DIR = REPO_ROOT.parent / "shared"
CORPUS_FEEDS = SHARED_DIR / "corpus" / "feeds"
SEED = SHARED_DIR / "seed" / "000_c6cb496dab8ea76f.txt"
DEV_SET = SHARED_DIR / "corpus" / "dev.jsonl"


def require_shared(*paths: Path) -> None:
    """Skip the running test (fail it under ``CI=true``) when any of ``paths`` is missing or an empty folder."""
    missing = [path for path in paths if not path.exists() or (path.is_dir() and not any(path.iterdir()))]
    if not missing:
        return
    names = ", ".join(str(path) for path in missing)
    message = f"../shared data missing: {names} (put the shared corpus beside the repository)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; CI must run the tests that read it", pytrace=False)
    pytest.skip(message)
