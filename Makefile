# The two commands: `make run` and `make test`. Both work on a fresh machine with nothing installed by hand.
SHELL := /bin/bash
PY := .venv/bin/python
STAMP := .venv/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/interception
# Development targets run with DEBUG=1 unless the environment or .env sets DEBUG (manage.py has no default).
DEV_DEBUG := $(if $(or $(DEBUG),$(shell grep -sqE '^[[:space:]]*(export[[:space:]]+)?DEBUG=' .env && echo y)),,DEBUG=1)

.PHONY: run test install services chromium gettext messages db migrate demo bench lint format check clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv .venv
	@.venv/bin/pip install -q --disable-pip-version-check --upgrade pip
	@.venv/bin/pip install -q --disable-pip-version-check ".[dev]"
	@rm -rf build *.egg-info .venv/.installed-*
	@touch $@

install: $(STAMP)

services:
	@bash scripts/ensure-services.sh

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# GNU gettext (xgettext, msgmerge, msgfmt): the i18n tests extract and compile the Nepali catalogue.
gettext:
	@command -v msgfmt >/dev/null && command -v xgettext >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }

# Update the Nepali catalogue from the code and templates, then compile it (docs/i18n.md). Translate every
# new or changed entry in locale/ne/LC_MESSAGES/django.po, then run this again: the .mo is committed.
messages: install gettext
	@DEBUG=1 $(PY) manage.py makemessages -l ne --no-obsolete --ignore='.venv/*' --ignore='var/*' --ignore='tests/*' --ignore='benchmarks/*'
	@DEBUG=1 $(PY) manage.py compilemessages -l ne --ignore='.venv/*'

db: services
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='interception'" | grep -q 1 \
	  || createdb -h 127.0.0.1 -U postgres interception

migrate: install db
	@$(DEV_DEBUG) $(PY) manage.py migrate --noinput

demo: migrate
	@$(DEV_DEBUG) $(PY) manage.py seed_demo

run: demo
	@bash scripts/run.sh

test: install services chromium gettext
	@$(PY) -m pytest $(PYTEST_ARGS)

bench: install services
	@$(PY) -m benchmarks.run --size 100k --build-only
	@$(PY) -m benchmarks.run --size 1m --build-only
	@$(PY) -m benchmarks.run $(BENCH_ARGS)
	@$(PY) -m benchmarks.run --size 1m $(BENCH_ARGS)
	@$(PY) -m benchmarks.http $(HTTP_ARGS)
	@$(PY) -m benchmarks.exports --sizes 100k,1m
	@$(PY) -m benchmarks.pageweight
	@$(PY) -m benchmarks.people --size 100k
	@$(PY) -m benchmarks.cases
	@$(PY) -m benchmarks.prosecution
	@$(PY) -m benchmarks.people --size 1m

lint: install
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .

format: install
	@.venv/bin/ruff check --fix .
	@.venv/bin/ruff format .

check: install db
	@$(DEV_DEBUG) $(PY) manage.py makemigrations --check --dry-run
	@.venv/bin/ruff check .

clean:
	rm -rf .venv var build *.egg-info
