# proctoring: make run | make test | make bench | make check
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/proctoring_test
export TEST_DATABASE_URL

.PHONY: install run demo test bench fuzz check lint format clean screenshots

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

demo: install
	$(BIN)/proctoring migrate --noinput
	$(BIN)/proctoring load_demo_data

run: demo
	@echo "Serving on http://$(HOST):$(PORT)/ : sign in as staff (course staff) or learner (takes"
	@echo "the exams; the Timed quiz lasts 5 minutes), password demo; admin/demo for /admin/."
	DEBUG=$${DEBUG:-true} \
	PROCTORING_JWT_SECRET=$${PROCTORING_JWT_SECRET:-change-me-to-a-long-random-secret-of-32-bytes} \
	PROCTORING_JWT_ISSUER=$${PROCTORING_JWT_ISSUER:-https://lms.example.org} \
	PROCTORING_JWT_AUDIENCE=$${PROCTORING_JWT_AUDIENCE:-proctoring} \
	$(BIN)/proctoring runserver $(HOST):$(PORT)

test: install
	./scripts/test.sh

bench: install
	./scripts/bench.sh

# A longer, randomized schemathesis run of the REST API (the suite runs a short, fixed one).
fuzz: install
	FUZZ_MAX_EXAMPLES=$${FUZZ_MAX_EXAMPLES:-300} FUZZ_RANDOM=1 ./scripts/test.sh tests/rest/test_fuzz.py

# The web UI's main pages, rendered by Chromium into docs/screenshots/ (the browser tests' pages).
screenshots: install
	mkdir -p var/test
	PROCTORING_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots DATABASE_URL="sqlite:///$(CURDIR)/var/test/db.sqlite3" \
	PROCTORING_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest -q -p no:cacheprovider tests/web/browser/test_pages.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: lint
	$(BIN)/mypy proctoring
	$(BIN)/lint-imports  # the layer order (DESIGN.md 3.1): a wrong-way import fails
	DATABASE_URL=sqlite:///:memory: $(BIN)/proctoring makemigrations --check --dry-run
	DATABASE_URL=sqlite:///:memory: $(BIN)/proctoring check
	DATABASE_URL=sqlite:///:memory: $(BIN)/proctoring spectacular --validate --fail-on-warn --file /dev/null

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
