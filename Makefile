# agora — the README's two commands are `make demo` and `make test`; each installs what it needs, no more.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: install install-test demo serve test test-pg lint coverage migrations bench soak screenshots wheel \
	demo-deps test-deps system-deps clean

# The application alone (what `make demo` needs): a virtual environment with agora in editable mode.
# The front-end files are committed (static/vendor/, checked against package-lock.json), so no npm here.
$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

# The test tools: pytest & co., and axe-core from npm (package-lock.json).
$(TEST_STAMP): $(STAMP) pyproject.toml package.json package-lock.json
	$(BIN)/pip install --quiet -e '.[test]'
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python scripts/vendor_static.py --check
	touch $(TEST_STAMP)

install: $(STAMP)

install-test: $(TEST_STAMP)

# Debian packages. The demo needs only a CJK font for the printable resolution record; the tests also
# need chromium (browser tests) and sqlmap (tests/security/test_sqlmap.py).
FONT := /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

demo-deps:
	@if [ ! -f $(FONT) ]; then \
	  echo "installing the Debian package fonts-droid-fallback (a CJK font for the resolution PDF)"; \
	  $(SUDO) apt-get update -qq && $(APT) install -y -qq fonts-droid-fallback >/dev/null \
	  || { echo "could not install fonts-droid-fallback with apt-get (or set AGORA_PDF_FONT)"; exit 1; }; \
	fi

test-deps: demo-deps
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v sqlmap >/dev/null 2>&1; then \
	  echo "installing Debian packages for the tests: chromium sqlmap"; \
	  $(SUDO) apt-get update -qq && $(APT) install -y -qq chromium sqlmap >/dev/null \
	  || { echo "could not install chromium/sqlmap with apt-get"; exit 1; }; \
	fi

system-deps: test-deps

demo: install demo-deps
	$(BIN)/agora demo

serve: install
	$(BIN)/agora serve --migrate

# Screenshots go to build/screenshots/ (the working tree stays clean); `make screenshots` refreshes the README's.
test: install-test test-deps
	$(BIN)/python -m pytest -q

lint: install-test
	$(BIN)/ruff check agora tests scripts bench setup.py
	$(BIN)/mypy
	$(BIN)/python scripts/check_imports.py

# The pure core (no I/O) is covered to the last branch by its own tests: see [tool.coverage] in pyproject.toml.
CORE_TESTS := tests/ballots/test_tally.py tests/ballots/test_chain.py tests/rooms/test_counting.py \
	tests/proposals/test_threads.py

coverage: install-test
	$(BIN)/python -m coverage run -m pytest -q $(CORE_TESTS)
	$(BIN)/python -m coverage report

screenshots: install-test test-deps
	AGORA_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q tests/browser

wheel: install-test
	$(BIN)/pip wheel --no-deps --quiet -w dist .
	@ls dist/*.whl

migrations: install-test
	scripts/makemigrations.sh

bench: install-test
	$(BIN)/python -m bench.run

# Mixed traffic against a real `agora serve` on the loopback (bench/soak.py, docs/security.md):
# no 5xx, no lost receipt, memory flat within 10%. .ci/run runs it for 60 seconds after the suites.
SOAK_SECONDS ?= 600
soak: install-test
	$(BIN)/python -m bench.soak --seconds $(SOAK_SECONDS)

clean:
	rm -rf $(VENV) node_modules var build dist
