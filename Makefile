# Townsquare: `make run` starts the product with demo data; `make test` runs every check.
# Both set up everything they need (Debian packages, Python packages, npm assets) and
# reuse what is already there on a second run.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed-$(shell cat requirements/dev.lock 2>/dev/null | sha256sum | cut -c1-12)
ASSET_STAMP := townsquare/static/vendor/VERSION
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Pango and the Noto fonts render PDF exports and reports (WeasyPrint) in Arabic and Chinese.
RUN_DEBS := gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core fonts-noto-cjk
TEST_DEBS := $(RUN_DEBS) chromium redis-server dovecot-imapd
HOST ?= 127.0.0.1
PORT ?= 8000
# The worker reaches the sandbox network through the web server at this address.
SITE_URL ?= http://localhost:$(PORT)
export DJANGO_SETTINGS_MODULE := townsquare.settings

.PHONY: help run test setup debs-run debs-test lint types test-sqlite test-postgres test-browser bench models clean messages makemessages

help:
	@echo "make run    - set up and start Townsquare with demo data on http://$(HOST):$(PORT)/"
	@echo "make test   - set up and run every check (lint, types, SQLite, PostgreSQL, browser)"
	@echo "make bench  - run the benchmarks under bench/"
	@echo "make models - retrain the shipped language models from ../shared/data"

# --- Debian packages (installed only when missing) -----------------------------------
define install_debs
	missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

debs-run:
	@$(call install_debs,$(RUN_DEBS))

debs-test:
	@$(call install_debs,$(TEST_DEBS))

# --- Python and front-end dependencies --------------------------------------------------
$(PY_STAMP): requirements/dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv
	@$(BIN)/uv pip sync -q --python $(BIN)/python requirements/dev.lock
	@rm -f $(VENV)/.installed-*; touch $@

node_modules/.package-lock.json: package-lock.json
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(ASSET_STAMP): node_modules/.package-lock.json scripts/build_assets.mjs $(wildcard assets/scss/*.scss)
	@node scripts/build_assets.mjs

PO_FILES := $(wildcard townsquare/locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

messages: $(MO_FILES)

townsquare/locale/%/LC_MESSAGES/django.mo: townsquare/locale/%/LC_MESSAGES/django.po
	@msgfmt --check-format -o $@ $<

makemessages: $(PY_STAMP)
	@cd townsquare && PYTHONPATH=$(CURDIR) ../$(BIN)/django-admin makemessages -l ar -l zh_Hans --no-obsolete --ignore='static/*'

setup: debs-run $(PY_STAMP) $(ASSET_STAMP) messages

# --- Run -------------------------------------------------------------------------------
run: setup
	@SITE_URL=$(SITE_URL) $(BIN)/python manage.py prepare_demo
	@SITE_URL=$(SITE_URL) $(BIN)/python -m townsquare.launcher --host $(HOST) --port $(PORT)

# --- Checks ----------------------------------------------------------------------------
lint: $(PY_STAMP)
	$(BIN)/ruff check .

types: $(PY_STAMP)
	$(BIN)/mypy

test-sqlite: setup debs-test
	FAST_PASSWORD_HASHER=1 $(BIN)/pytest -m "not browser" -n 2 --dist loadgroup

test-postgres: setup debs-test
	FAST_PASSWORD_HASHER=1 scripts/with_postgres.sh $(BIN)/pytest -m "not browser and not redis" -n 2 --dist loadgroup

test-browser: setup debs-test
	FAST_PASSWORD_HASHER=1 $(BIN)/pytest -m browser

test: setup debs-test
	@status=0; \
	for step in lint types test-sqlite test-postgres test-browser; do \
	  echo "==> make $$step"; \
	  $(MAKE) --no-print-directory $$step || { echo "FAILED: make $$step"; status=1; }; \
	done; \
	exit $$status

bench: setup
	$(BIN)/python -m bench

# Retrain the shipped language models from ../shared/data (model files and cards in
# townsquare/nlp/models/); same data and seed give the same models.
models: $(PY_STAMP)
	$(BIN)/python -m townsquare.nlp.train
	$(BIN)/python -m townsquare.nlp.evaluate

clean:
	rm -rf $(VENV) node_modules townsquare/static/vendor
