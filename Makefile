# exnews: every target sets itself up from nothing (creates .venv, installs, runs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_PORT ?= 8765
DEMO_WAREHOUSE ?= demo-data

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90

.PHONY: run test demo serve lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: incremental ingest of every source, then what landed
run: $(STAMP)
	@$(BIN)/exnews ingest; status=$$?; \
	$(BIN)/exnews sql "select source, category, count(*) as articles, max(published_at) as newest from articles group by all order by 1, 2"; \
	exit $$status

## test: the whole test suite, offline
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

## demo: the main job offline, against the bundled fixtures on a local server
demo: $(STAMP)
	@$(BIN)/python -m tests.fixture_server --port $(DEMO_PORT) & server=$$!; \
	trap "kill $$server" EXIT; sleep 1; \
	EXNEWS_CONNECT_TO='*=http://127.0.0.1:$(DEMO_PORT)' EXNEWS_DOWNLOAD_DELAY=0 \
		$(BIN)/exnews ingest --warehouse $(DEMO_WAREHOUSE); status=$$?; \
	$(BIN)/python -m tests.demo_story --warehouse $(DEMO_WAREHOUSE) && exit $$status

## serve: Prefect server + worker + deployments on 127.0.0.1:4200 until Ctrl-C
serve: $(STAMP)
	$(BIN)/exnews serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) $(DEMO_WAREHOUSE) .prefect
