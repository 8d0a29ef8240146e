# Sluta skjut — developer entry points. See DESIGN.md "The two commands".
#
#   make run    demo server on http://127.0.0.1:8000 (SQLite under var/, tasks in-process;
#               with DATABASE_URL / REDIS_URL set: PostgreSQL and a real Celery worker)
#   make test   whole test suite (pytest-xdist)
#   make lint   ruff + mypy        make fmt    format and autofix
#
# Override the interpreter with `make PYTHON=/path/to/python3.12 venv`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
INSTALL_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
VENDOR := static/vendor

# Python 3.12: the highest pyenv 3.12.x if there is one, else python3.12 on PATH.
PYENV_ROOT_DIR := $(shell pyenv root 2>/dev/null || echo "$${PYENV_ROOT:-$$HOME/.pyenv}")
PYTHON ?= $(or $(shell ls -d "$(PYENV_ROOT_DIR)"/versions/3.12.*/bin/python 2>/dev/null | grep -E '/3\.12\.[0-9]+/bin/python$$' | sort -V | tail -n 1),$(shell command -v python3.12 2>/dev/null))

# pytest-xdist workers; `make test PYTEST_WORKERS=2` on small machines, extra args via PYTEST_ARGS.
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?=

.PHONY: help venv install node_modules static messages run test lint fmt clean distclean
.PHONY: backup restore bench

help:
	@echo "Targets: run test lint fmt | bench backup restore | venv install node_modules static messages | clean distclean"
	@echo "         backup [BACKUP_FILE=...] | restore BACKUP_FILE=... [RESTORE_DATABASE_URL=...]"

# --- Environment ---------------------------------------------------------------------------

venv:
	@if [ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then \
		exit 0; \
	fi; \
	py="$(PYTHON)"; \
	if [ -z "$$py" ] || ! "$$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then \
		echo "error: Python 3.12 not found (looked in $(PYENV_ROOT_DIR)/versions/3.12.* and for python3.12 on PATH)." >&2; \
		echo "       Install it, e.g. 'pyenv install 3.12' or 'apt-get install python3.12 python3.12-venv'," >&2; \
		echo "       or point to it: make PYTHON=/path/to/python3.12 run" >&2; \
		exit 1; \
	fi; \
	if [ -e $(VENV) ]; then echo "Recreating $(VENV) (its python is not 3.12)"; rm -rf $(VENV); fi; \
	echo "Creating $(VENV) with $$py"; \
	"$$py" -m venv $(VENV)

# Reinstalls only when a requirements file is newer than the stamp.
install: venv
	@if [ ! -f $(INSTALL_STAMP) ] || [ requirements.txt -nt $(INSTALL_STAMP) ] || [ requirements-dev.txt -nt $(INSTALL_STAMP) ]; then \
		echo "Installing Python requirements"; \
		$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt; \
		touch $(INSTALL_STAMP); \
	fi

node_modules:
	@if [ ! -f $(NODE_STAMP) ] || [ package.json -nt $(NODE_STAMP) ] || { [ -f package-lock.json ] && [ package-lock.json -nt $(NODE_STAMP) ]; }; then \
		command -v npm >/dev/null || { echo "error: npm not found; install Node.js (e.g. 'apt-get install nodejs npm')." >&2; exit 1; }; \
		echo "Installing front-end packages"; \
		if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi; \
		touch $(NODE_STAMP); \
	fi

# The .map files go along because Bootstrap's files reference them and collectstatic's manifest
# storage fails on a missing referenced file.
static: node_modules
	@mkdir -p $(VENDOR)
	@cp node_modules/htmx.org/dist/htmx.min.js \
		node_modules/bootstrap/dist/css/bootstrap.min.css \
		node_modules/bootstrap/dist/css/bootstrap.min.css.map \
		node_modules/bootstrap/dist/js/bootstrap.bundle.min.js \
		node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map \
		node_modules/cytoscape/dist/cytoscape.min.js \
		node_modules/axe-core/axe.min.js \
		$(VENDOR)/

# compilemessages imports the settings, which need DEBUG (or a SECRET_KEY): default DEBUG on here.
messages: install
	@command -v msgfmt >/dev/null || { echo "error: msgfmt not found; install GNU gettext ('apt-get install gettext' / 'brew install gettext')." >&2; exit 1; }
	@DEBUG="$${DEBUG:-true}" $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

# --- The two commands ----------------------------------------------------------------------

run: install static messages
	@mkdir -p var
	@export DEBUG="$${DEBUG:-true}" DEMO_MODE="$${DEMO_MODE:-true}"; \
	if [ -n "$${DATABASE_URL:-}" ]; then echo "Database: DATABASE_URL"; else echo "Database: SQLite under var/"; fi; \
	$(PY) manage.py migrate --noinput; \
	$(PY) manage.py load_demo; \
	$(PY) manage.py demo_logins; \
	worker=""; \
	if [ -n "$${REDIS_URL:-}" ]; then \
		echo "Starting Celery worker (REDIS_URL is set)"; \
		$(VENV)/bin/celery -A gvi worker -l info & worker=$$!; \
		trap 'if [ -n "$$worker" ]; then kill -TERM $$worker 2>/dev/null || true; wait $$worker 2>/dev/null || true; fi' EXIT; \
		trap 'exit 130' INT TERM; \
	else \
		echo "Tasks run in-process (REDIS_URL not set)"; \
	fi; \
	$(PY) manage.py runserver 127.0.0.1:8000

# Settings for tests (DEBUG etc.) come from pytest-env in pyproject.toml. Any non-zero pytest exit
# fails the target, including 5 (no tests collected).
test: install static messages
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# --- Backup and restore (PostgreSQL) -------------------------------------------------------
# `make backup`: a pg_dump custom-format archive of the database in DATABASE_URL, written to
# var/backups/gvi-<UTC time>.dump (or BACKUP_FILE=...). `make restore BACKUP_FILE=...` loads one into
# RESTORE_DATABASE_URL (default DATABASE_URL), replacing the objects it contains, in one transaction.
# Media files (MEDIA_ROOT or the S3 bucket) are not in the archive: back them up separately.

backup:
	@url="$${DATABASE_URL:-}"; \
	case "$$url" in \
		postgres://*|postgresql://*) ;; \
		*) echo "error: make backup needs DATABASE_URL=postgres://user:password@host:port/name (PostgreSQL only; the SQLite demo database is not backed up)." >&2; exit 2 ;; \
	esac; \
	command -v pg_dump >/dev/null || { echo "error: pg_dump not found; install the PostgreSQL client ('apt-get install postgresql-client')." >&2; exit 2; }; \
	file="$${BACKUP_FILE:-var/backups/gvi-$$(date -u +%Y%m%dT%H%M%SZ).dump}"; \
	mkdir -p "$$(dirname "$$file")"; \
	umask 077; \
	pg_dump --format=custom --no-password --dbname="$$url" --file="$$file.partial"; \
	mv -f "$$file.partial" "$$file"; \
	echo "Backup written to $$file"

restore:
	@file="$${BACKUP_FILE:-}"; \
	url="$${RESTORE_DATABASE_URL:-$${DATABASE_URL:-}}"; \
	if [ -z "$$file" ]; then echo "error: name the archive: make restore BACKUP_FILE=var/backups/gvi-....dump [RESTORE_DATABASE_URL=...]" >&2; exit 2; fi; \
	if [ ! -f "$$file" ]; then echo "error: $$file does not exist." >&2; exit 2; fi; \
	case "$$url" in \
		postgres://*|postgresql://*) ;; \
		*) echo "error: make restore needs RESTORE_DATABASE_URL (or DATABASE_URL) = postgres://user:password@host:port/name (PostgreSQL only)." >&2; exit 2 ;; \
	esac; \
	command -v pg_restore >/dev/null || { echo "error: pg_restore not found; install the PostgreSQL client ('apt-get install postgresql-client')." >&2; exit 2; }; \
	pg_restore --clean --if-exists --no-owner --exit-on-error --single-transaction --no-password \
		--dbname="$$url" "$$file"; \
	echo "Restored $$file"

# --- Benchmarks (PostgreSQL; not part of `make test`) --------------------------------------
# `make bench`: DESIGN.md's performance targets, measured on the database in BENCH_DATABASE_URL: created if
# missing, migrated, seeded by `seed_scale --scale BENCH_SCALE` when it holds no seeded set (no bench_most),
# then `manage.py bench --load` (pages, API, list filters, quarterly report, and locust against gunicorn on
# 127.0.0.1), which writes BENCHMARKS.md. Production settings (DEBUG off), static files without a manifest.
# BENCH_ARGS passes options to `manage.py bench` (e.g. BENCH_ARGS="--persona petra --lead lena --repeat 10").

BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/gvi_bench
BENCH_SCALE ?= 1.0
BENCH_ARGS ?=

bench: install messages
	@url="$(BENCH_DATABASE_URL)"; \
	case "$$url" in \
		postgres://*|postgresql://*) ;; \
		*) echo "error: make bench measures PostgreSQL only: BENCH_DATABASE_URL=postgres://user@host:port/name (SQLite is not measured)." >&2; exit 2 ;; \
	esac; \
	command -v psql >/dev/null || { echo "error: psql not found; install the PostgreSQL client ('apt-get install postgresql-client')." >&2; exit 2; }; \
	if ! psql "$$url" -Atqc 'SELECT 1' >/dev/null 2>&1; then \
		name="$${url##*/}"; name="$${name%%\?*}"; \
		echo "Creating database $$name"; \
		psql "$${url%/*}/postgres" -qc "CREATE DATABASE \"$$name\""; \
	fi; \
	export DATABASE_URL="$$url" DEBUG=false STATIC_MANIFEST=false; \
	$(PY) manage.py migrate --noinput -v 0; \
	if [ "$$(psql "$$url" -Atqc "SELECT count(*) FROM accounts_staff WHERE username = 'bench_most'")" = "0" ]; then \
		echo "Seeding the benchmark data set (seed_scale --scale $(BENCH_SCALE))"; \
		$(PY) manage.py seed_scale --scale $(BENCH_SCALE); \
	fi; \
	$(PY) manage.py bench --load $(BENCH_ARGS)

# --- Tools ---------------------------------------------------------------------------------

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@# The django-stubs plugin imports the settings, which need DEBUG (or a SECRET_KEY).
	DEBUG="$${DEBUG:-true}" $(VENV)/bin/mypy .

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Build output and caches; keeps .venv, node_modules and the demo database (see distclean).
clean:
	rm -rf $(VENDOR) staticfiles test-results .pytest_cache .mypy_cache .ruff_cache
	find . -path ./.venv -prune -o -path ./node_modules -prune -o \
		\( -name __pycache__ -type d -prune -exec rm -rf {} + \) -o \( -name '*.mo' -type f -delete \)

distclean: clean
	rm -rf $(VENV) node_modules var
