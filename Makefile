# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Every package of the resolved set, pinned: installs take no surprise major jumps (`make constraints` refreshes).
CONSTRAINTS := constraints.txt
PYTEST := $(VENV)/bin/pytest -p no:cacheprovider

.PHONY: install browser-deps run test test-fast lint eval eval-news train bench constraints clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/aidwatch serve

# The browser tests (tests/web) drive Debian's Chromium through Playwright; no browser is downloaded.
browser-deps:
	test -x /usr/bin/chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver)

test: install browser-deps
	$(PYTEST)

# The unit tests (under a minute): pure code, SQLite and in-process servers; no daemon processes, no Scrapy
# crawls, no PostgreSQL, nothing marked slow. `make test` runs everything.
FAST_TESTS := tests/classify tests/store tests/delivery tests/test_settings.py tests/test_summary.py \
	tests/test_incidents.py tests/test_retry_after.py tests/test_shared_data.py tests/crawler/test_extract.py \
	tests/crawler/test_feed_parser.py
test-fast: install
	$(PYTEST) -q -m "not slow and not postgres" $(FAST_TESTS)

lint: install
	$(VENV)/bin/ruff check alerts crawler config tests bench
	$(VENV)/bin/ruff format --check alerts crawler config tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/deptry .
	$(VENV)/bin/lint-imports

eval: install
	$(PY) -m alerts.classify.evaluate

eval-news: install
	$(PY) -m alerts.classify.evaluate_news

# `make train LABELS=labels.jsonl` adds the rows of an `aidwatch labels export` to the corpus.
train: install
	$(PY) -m alerts.classify.train $(if $(LABELS),--labels $(LABELS),)

# Results go to var/bench/ (ignored); `make bench RECORD=1` writes the tracked bench/results/ instead.
bench: install
	AIDWATCH_BENCH_RECORD=$(RECORD) $(PY) -m bench

# Resolve pyproject.toml's ranges afresh in a throwaway venv and pin the result.
constraints:
	rm -rf $(VENV)-constraints
	$(PYTHON) -m venv $(VENV)-constraints
	$(VENV)-constraints/bin/python -m pip install --quiet --upgrade pip
	$(VENV)-constraints/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# Pinned by \`make constraints\` from pyproject.toml's ranges; \`make install\` installs with it."; \
	  $(VENV)-constraints/bin/python -m pip freeze --exclude-editable; } > $(CONSTRAINTS)
	rm -rf $(VENV)-constraints

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
