# Two commands: `make run` (app on http://127.0.0.1:8501) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
# The quick start shows the demo world; `make run DEMO_DATA=0` starts with an empty database.
# Demo accounts are refused whenever APP_ENV=production.
DEMO_DATA ?= 1
# Only this machine can reach the app; to serve others put it behind a reverse proxy (README).
ADDRESS ?= 127.0.0.1
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: run serve test test-days install clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-app: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed-app
	$(PIP) -e '.[test]'
	@touch $@

install: $(VENV)/.installed-app

# A local cookie-signing key, made once (never committed: .gitignore). Whoever reads it can forge
# any login: 0600 whatever the caller's umask, and in place only when complete.
.streamlit/secrets.toml:
	umask 077 && $(PYTHON) -c "import secrets; print('cookie_key = \"' + secrets.token_urlsafe(48) + '\"')" > $@.part
	chmod 600 $@.part && mv $@.part $@

# umask 077: the database and everything the app writes is readable by this account only.
run: $(VENV)/.installed-app .streamlit/secrets.toml
	chmod 600 .streamlit/secrets.toml  # also a key file made by an older version (0644)
	umask 077 && $(BIN)/python -m db migrate
	umask 077 && DEMO_DATA=$(DEMO_DATA) $(BIN)/python -m db seed-demo --if-empty
	umask 077 && DEMO_DATA=$(DEMO_DATA) $(BIN)/python -m streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS)

# Production: what deploy/begleiter-cockpit@.service runs (`python -m db serve`, without make – make
# ends every failure with its own status 2, and the unit tells a refused setting from a database
# that is not up yet by the start check's own status). Only the app server – no migration (the
# database owner runs `python -m db migrate`), no demo data, settings from the environment. The
# start check runs first: a refused setting ends it with exit status 78 (EX_CONFIG: the unit stops
# at once, "failed"), a database that does not answer yet with 75 (EX_TEMPFAIL: the unit tries
# again), each with its German reason on stderr (the journal), before any port answers.
serve: $(VENV)/.installed-app
	umask 077 && exec $(BIN)/python -m db serve --port $(PORT) --address $(ADDRESS)

# axe-core and HTML_CodeSniffer for the accessibility browser test, from the npm registry (pinned in
# tests/a11y/package-lock.json). Without npm that one test is skipped – in CI it fails instead.
AXE := tests/a11y/node_modules/axe-core/axe.min.js
NPM := $(shell command -v npm 2>/dev/null)

$(AXE): tests/a11y/package.json tests/a11y/package-lock.json
	cd tests/a11y && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Two workers (pytest-xdist): each has its own PostgreSQL database, Chromium and app servers.
# `make test TEST_WORKERS=0` runs everything in one process.
TEST_WORKERS ?= 2

test: $(VENV)/.installed-test $(if $(NPM),$(AXE))
	$(BIN)/python -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist worksteal) $(PYTEST_ARGS)

# The clock sweep (tests/clock_sweep.py): the tests marked `calendar` once more on each day that
# breaks date assumptions (first and last of a month, quarter and year, 29 February, 1 April),
# the clock of the tests, their app servers and the browser moved by libfaketime (`faketime`).
test-days: $(VENV)/.installed-test $(if $(NPM),$(AXE))
	$(BIN)/python tests/clock_sweep.py $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist worksteal) $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)
