# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test test-postgres lint translations translations-update bench bench-http wrk browser clean

$(VENV)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile --use-fuzzy -d translations -l $* 2>/dev/null || $(VENV)/bin/pybabel compile -d translations -l $*

MO_FILES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

## make run: install, create and fill the SQLite database on first start, serve on http://$(HOST):$(PORT)
# Links on slips, in QR codes and in emails lead to where this serves, unless AMPARO_SITE_URL says otherwise.
run: export AMPARO_SITE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.installed $(MO_FILES)
	$(VENV)/bin/flask db-upgrade
	$(VENV)/bin/flask seed --if-empty
	$(VENV)/bin/flask run --host $(HOST) --port $(PORT)

## make test: install what the tests need (Chromium included) and run the whole suite
test: $(VENV)/.installed-dev $(MO_FILES) browser
	$(VENV)/bin/pytest -q -n auto

## make browser: Debian's Chromium for the browser tests (Playwright's own download does not work here)
browser:
	@test -x /usr/bin/chromium || { echo "Installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && apt-get install -y -qq chromium) >/dev/null || \
		echo "Could not install chromium: browser tests will be skipped"; }

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

## make translations-update: extract strings and merge them into the catalogues
translations-update: $(VENV)/.installed
	PYTHONPATH=. $(VENV)/bin/pybabel extract -F babel.cfg -k _l --add-location=file --sort-output -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	@# No dates in the catalogues: branches that add strings then merge without conflicts in the header.
	sed -i '/^"POT-Creation-Date: /d; /^"PO-Revision-Date: /d' translations/messages.pot translations/*/LC_MESSAGES/messages.po

translations: $(MO_FILES)

## make bench: the search benchmark (100,000 synthetic services on top of the real data; SQLite in
## bench/out/ unless DATABASE_URL is set). Other sizes: make bench BENCH_ARGS="--services 1000000"
bench: $(VENV)/.installed-dev
	$(PY) -m bench.search_bench $(BENCH_ARGS)

## make bench-http: HTTP throughput of gunicorn (gunicorn.conf.py) under wrk on loopback: /api/v1/search and
## /search against the bare /livez, on the bundled real data (SQLite in bench/out/ unless DATABASE_URL is set).
## Options: make bench-http BENCH_ARGS="--duration 30 --connections 64 --env AMPARO_CACHE=off" (--help for all)
bench-http: $(VENV)/.installed-dev $(MO_FILES) wrk
	$(PY) -m bench.http_bench $(BENCH_ARGS)

## make wrk: Debian's wrk for bench-http
wrk:
	@test -x /usr/bin/wrk || { echo "Installing Debian's wrk for the HTTP benchmark"; \
		(apt-get update -qq && apt-get install -y -qq wrk) >/dev/null || \
		{ echo "Could not install wrk"; exit 1; }; }

clean:
	rm -rf $(VENV) instance/amparo.sqlite3*
