# Run `make help` for the list of targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEV_ENV := DJANGO_DEV=1
TEST_ENV := $(DEV_ENV) DATABASE_CONN_MAX_AGE=0

.DEFAULT_GOAL := help
.PHONY: help run test chromium lint format check clean bench-search

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

run: $(BIN)/.installed ## Set up, load demo content and serve on http://127.0.0.1:$(PORT)/
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py load_demo
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

chromium: ## Install Debian's chromium for the browser tests (needs root and apt)
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "Could not install chromium: the browser tests will fail." >&2

test: $(BIN)/.installed chromium ## Run the whole test suite (SQLite, or DATABASE_URL when set)
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed ## ruff and djhtml checks
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djhtml --check templates

format: $(BIN)/.installed ## Format Python and templates
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djhtml templates

check: $(BIN)/.installed ## Migrations up to date and deploy checks clean
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SECRET_KEY=check-deploy-abcdefghijklmnopqrstuvwxyz-0123456789-ABCDEFGH ALLOWED_HOSTS=news.example.com \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/newsroom_bench
bench-search: $(BIN)/.installed ## Search latency at 100,000 stories (PostgreSQL at BENCH_DATABASE_URL)
	$(DEV_ENV) DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_search

clean: ## Remove the virtualenv, database and generated media
	rm -rf $(VENV) db.sqlite3 media staticfiles
