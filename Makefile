# The README's two commands: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# Where `make run` serves: `make run PORT=8000`, or `make run HOST=0.0.0.0` for other machines.
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint bench seed clean translations

# Runtime packages only; re-installed when requirements.txt changes.
$(BIN)/.runtime: requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "microblog needs Python 3.11 or newer"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || \
		{ echo "Could not create $(VENV): on Debian/Ubuntu install python3-venv first"; exit 1; }
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	@touch $@

# Runtime plus test tools.
$(BIN)/.dev: $(BIN)/.runtime requirements-dev.txt
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $@

# Plain http on this machine: cookies cannot require HTTPS here. Without a
# MAIL_SERVER, emails (a reset link) are printed here instead of sent. One
# job worker runs beside the server (exports work), and stops with it: Ctrl-C
# ends `flask run`, and the trap then stops the worker.
# The .mo files are built, not committed: from the .po catalogues, every
# time anything serves pages.
translations: $(BIN)/.runtime
	$(BIN)/flask translate compile

run: translations
	$(BIN)/flask db upgrade
	@export SECURE_COOKIES=$${SECURE_COOKIES:-0} MAIL_TO_CONSOLE=$${MAIL_TO_CONSOLE:-1}; \
	$(BIN)/flask worker --workers 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: $(BIN)/.dev translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.dev
	$(BIN)/ruff check .

seed: $(BIN)/.runtime
	$(BIN)/flask db upgrade
	$(BIN)/flask seed

bench: $(BIN)/.dev translations
	$(BIN)/python -m bench.pages $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts

# Observability, background-job, search, language-detection, profile, floor, soak and fault benchmarks (see README, Benchmarks).
.PHONY: bench-observability bench-jobs bench-search bench-detect bench-profile bench-floor soak faults
bench-observability: $(BIN)/.dev translations
	$(BIN)/python -m bench.observability $(BENCH_ARGS)

bench-jobs: $(BIN)/.dev translations
	$(BIN)/python -m bench.jobs $(BENCH_ARGS)

bench-search: $(BIN)/.dev translations
	$(BIN)/python -m bench.search_writes $(BENCH_ARGS)

bench-detect: $(BIN)/.dev
	$(BIN)/python -m bench.detectors $(BENCH_ARGS)

# py-spy attaches to gunicorn's workers: run it as root (or with CAP_SYS_PTRACE).
bench-profile: $(BIN)/.dev translations
	$(BIN)/python -m bench.profile $(BENCH_ARGS)

bench-floor: $(BIN)/.dev translations
	$(BIN)/python -m bench.floor $(BENCH_ARGS)

soak: $(BIN)/.dev translations
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

faults: $(BIN)/.dev translations
	$(BIN)/python -m bench.faults $(FAULTS_ARGS)
