# Run `make help` for the list of targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEV_ENV := DJANGO_DEV=1
TEST_ENV := $(DEV_ENV) DATABASE_CONN_MAX_AGE=0

.DEFAULT_GOAL := help
.PHONY: help run serve test chromium nginx varnish wrk lint format check clean \
	bench-search bench bench-throughput faults messages font

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' -v port=$(PORT) \
		'{gsub(/\$$\(PORT\)/, port, $$2); printf "  make %-16s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

run: $(BIN)/.installed ## Set up, load demo content and serve on http://127.0.0.1:$(PORT)/
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py load_demo
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Production mode on this machine over plain http: the secret key is public,
# so this is for trying things locally only. SQLite and the in-process cache
# unless DATABASE_URL / REDIS_URL are set; demo content only on SQLite.
SERVE_ENV := DJANGO_DEV= DJANGO_DEBUG= \
	DJANGO_SECRET_KEY=local-serve-only-this-key-is-public-never-use-it-on-a-server \
	ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=0 SECURE_HSTS_SECONDS=0
serve: $(BIN)/.installed ## Production mode locally: gunicorn + collected static on http://127.0.0.1:$(PORT)/
	$(SERVE_ENV) $(BIN)/python manage.py migrate --noinput
	$(if $(DATABASE_URL),,$(SERVE_ENV) $(BIN)/python manage.py load_demo)
	$(SERVE_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(SERVE_ENV) GUNICORN_BIND=127.0.0.1:$(PORT) $(BIN)/gunicorn --config gunicorn.conf.py

chromium: ## Install Debian's chromium for the browser tests (needs root and apt)
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "Could not install chromium: the browser tests will fail." >&2

test: $(BIN)/.installed chromium ## Run the whole test suite (SQLite, or DATABASE_URL when set)
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed ## ruff and djhtml checks
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djhtml --check templates articles/templates accounts/templates live/templates alerts/templates

format: $(BIN)/.installed ## Format Python and templates
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djhtml templates articles/templates accounts/templates live/templates alerts/templates

# Babel reads the Jinja2 templates (babel.cfg), which Django's makemessages
# cannot; it needs no GNU gettext, and the .mo is committed with the .po.
messages: $(BIN)/.installed ## Update locale/ur/LC_MESSAGES/django.po from templates and code, compile the .mo
	$(BIN)/pybabel extract -F babel.cfg --ignore-dirs=migrations --no-location --sort-output \
		-k gettext_lazy -k gettext_noop -k pgettext_lazy:1c,2 --project=newsroom --version=0.1.0 -o locale/django.pot .
	$(BIN)/pybabel update -D django -d locale -l ur -i locale/django.pot --init-missing \
		--no-fuzzy-matching --ignore-obsolete
	rm locale/django.pot
	$(BIN)/pybabel compile -D django -d locale --statistics

check: $(BIN)/.installed ## Migrations up to date and deploy checks clean
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SECRET_KEY=check-deploy-abcdefghijklmnopqrstuvwxyz-0123456789-ABCDEFGH ALLOWED_HOSTS=news.example.com \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/newsroom_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/12
bench-search: $(BIN)/.installed ## Search latency at 100,000 stories (PostgreSQL at BENCH_DATABASE_URL)
	$(DEV_ENV) DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.search $(BENCH_ARGS)

nginx: ## Install Debian's nginx for the deployment test (needs root and apt)
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; } || \
		echo "Could not install nginx: the deployment test will fail." >&2

varnish: ## Install Debian's varnish and varnish-modules (xkey) for the deployment tests (needs root and apt)
	@{ command -v varnishd >/dev/null || test -x /usr/sbin/varnishd; } && \
		test -n "$$(find /usr/lib -name libvmod_xkey.so -print -quit 2>/dev/null)" || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq varnish varnish-modules >/dev/null; } || \
		echo "Could not install varnish: the deployment tests will fail." >&2

wrk: ## Install Debian's wrk for the benchmarks (needs root and apt)
	@command -v wrk >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

bench: $(BIN)/.installed nginx varnish wrk ## A newsroom day at 100,000 stories through today's stack and the new one (PostgreSQL, Redis, nginx, Varnish, wrk)
	$(DEV_ENV) DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) \
		$(BIN)/python -m bench.day $(BENCH_ARGS)

bench-throughput: $(BIN)/.installed nginx wrk ## Throughput, latency, CPU and memory of single pages at 100,000 stories
	$(DEV_ENV) DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) \
		$(BIN)/python -m bench.throughput $(BENCH_ARGS)

# The Urdu font: Noto Nastaliq Urdu (OFL) from its npm package, cut down to
# the letters, marks, punctuation and digits Urdu uses, with every layout
# feature kept (Nastaliq shaping lives in GSUB/GPOS), plus the Latin digits.
# static/fonts/ holds the result; only this target needs the network. A fixed
# SOURCE_DATE_EPOCH (the font's timestamps) makes it the same bytes each time.
FONT_PACKAGE := @fontsource/noto-nastaliq-urdu@5.3.0
FONT_FILES := package/files/noto-nastaliq-urdu
FONT_URDU := U+0020,U+00A0,U+060C,U+061B,U+061F,U+0610-0614,U+0621-063A,U+0640-0655,\
	U+0660-066D,U+0670,U+0679,U+067E,U+0686,U+0688,U+0691,U+0698,U+06A9,U+06AF,U+06BA,\
	U+06BE,U+06C0-06C3,U+06CC,U+06D2-06D4,U+06F0-06F9,U+200C-200F,U+2010-2011,U+FDF2,U+FDFA
FONT_SUBSET = $(abspath $(BIN))/pyftsubset --layout-features='*' --no-hinting
font: $(BIN)/.installed ## Rebuild static/fonts/noto-nastaliq-urdu.woff2 from the npm package (network)
	set -e; export SOURCE_DATE_EPOCH=0; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; out=$$PWD/static/fonts; \
		cd "$$tmp"; npm pack --silent $(FONT_PACKAGE) >/dev/null; tar xzf *.tgz; \
		$(FONT_SUBSET) $(FONT_FILES)-arabic-400-normal.woff2 --unicodes="$(FONT_URDU)" \
			--output-file=urdu.ttf; \
		$(FONT_SUBSET) $(FONT_FILES)-latin-400-normal.woff2 --unicodes=U+0030-0039 \
			--output-file=digits.ttf; \
		$(abspath $(BIN))/fonttools merge urdu.ttf digits.ttf --output-file=merged.ttf; \
		$(FONT_SUBSET) merged.ttf --unicodes='*' --flavor=woff2 \
			--output-file="$$out/noto-nastaliq-urdu.woff2"; \
		cp package/LICENSE "$$out/OFL.txt"
	@ls -l static/fonts/noto-nastaliq-urdu.woff2

clean: ## Remove the virtualenv, database and generated media
	rm -rf $(VENV) db.sqlite3 media staticfiles

faults: $(BIN)/.installed ## Hung Redis, Redis refused, database down: what readers see and how soon it recovers (own PostgreSQL and Redis)
	$(DEV_ENV) $(BIN)/python -m bench.faults $(BENCH_ARGS)
