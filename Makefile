# policecloud — one entry point for a fresh machine.
#   make demo   create the environment, install, run the demo
#   make test   create or update the environment, lint, run the whole suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint format bench docs clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/policecloud demo

test: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/lint-imports
	$(BIN)/ruff format --check src tests bench scripts

format: $(STAMP)
	$(BIN)/ruff format src tests bench scripts
	$(BIN)/ruff check --fix src tests bench scripts

# Benchmarks that need a province run on a generated, ingested and resolved `small` one (made once).
BENCH_DATA ?= var/bench
STANDALONE_BENCH = validators address_accuracy ingest_throughput synth_generation alert_latency febrl
PROVINCE_BENCH = person_resolution resolve_stages trajectory_lookup search_latency load_search

bench: $(STAMP)
	for b in $(STANDALONE_BENCH); do $(BIN)/python bench/$$b.py || exit 1; done
	$(BIN)/python bench/ingest_throughput.py --with-id
	$(BIN)/policecloud --data-dir $(BENCH_DATA) synth --scale small --seed 1 --reuse --quiet
	$(BIN)/policecloud --data-dir $(BENCH_DATA) ingest --no-update-indexes > /dev/null
	$(BIN)/policecloud --data-dir $(BENCH_DATA) resolve > /dev/null
	$(BIN)/python bench/address_matching.py $(BENCH_DATA)
	for b in $(PROVINCE_BENCH); do $(BIN)/python bench/$$b.py --data-dir $(BENCH_DATA) || exit 1; done

docs: $(STAMP)
	$(BIN)/policecloud docs data-model --write

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .import_linter_cache build src/*.egg-info
