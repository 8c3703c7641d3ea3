# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install browser-deps run test lint eval eval-news train bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/aidwatch serve

# The browser tests (tests/web) drive Debian's Chromium through Playwright; no browser is downloaded.
browser-deps:
	test -x /usr/bin/chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver)

test: install browser-deps
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check alerts crawler config tests bench
	$(VENV)/bin/ruff format --check alerts crawler config tests bench
	$(VENV)/bin/mypy

eval: install
	$(PY) -m alerts.classify.evaluate

eval-news: install
	$(PY) -m alerts.classify.evaluate_news

train: install
	$(PY) -m alerts.classify.train

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
