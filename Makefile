# agora — the README's two commands are `make demo` and `make test`; everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo serve test test-pg lint coverage migrations bench soak system-deps clean

$(STAMP): pyproject.toml package.json package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python scripts/vendor_static.py
	touch $(STAMP)

install: $(STAMP)

# Debian packages: a CJK font for the printable resolution record, chromium for the browser tests,
# sqlmap for the SQL injection scan (tests/security/test_sqlmap.py).
FONT := /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

system-deps:
	@if [ ! -f $(FONT) ] || ! command -v chromium >/dev/null 2>&1 || ! command -v sqlmap >/dev/null 2>&1; then \
	  echo "installing Debian packages: fonts-droid-fallback chromium sqlmap"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    fonts-droid-fallback chromium sqlmap >/dev/null \
	  || { echo "could not install fonts-droid-fallback/chromium/sqlmap with apt-get"; exit 1; }; \
	fi

demo: install system-deps
	$(BIN)/agora demo

serve: install
	$(BIN)/agora serve --migrate

test: install system-deps
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check agora tests scripts
	$(BIN)/mypy
	$(BIN)/python scripts/check_imports.py

# The pure core (no I/O) is covered to the last branch by its own tests: see [tool.coverage] in pyproject.toml.
CORE_TESTS := tests/ballots/test_tally.py tests/ballots/test_chain.py tests/rooms/test_counting.py \
	tests/proposals/test_threads.py

coverage: install
	$(BIN)/python -m coverage run -m pytest -q $(CORE_TESTS)
	$(BIN)/python -m coverage report

migrations: install
	scripts/makemigrations.sh

bench: install
	$(BIN)/python -m bench.run

# Mixed traffic against a real `agora serve` on the loopback (bench/soak.py, docs/security.md):
# no 5xx, no lost receipt, memory flat within 10%. Not yet in .ci/run: see docs/security.md.
SOAK_SECONDS ?= 600
soak: install
	$(BIN)/python -m bench.soak --seconds $(SOAK_SECONDS)

clean:
	rm -rf $(VENV) node_modules static/vendor var
