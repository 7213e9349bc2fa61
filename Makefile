# The two commands of the README: `make run` starts the app, `make test` runs every test.
# Both set up what they need on a fresh machine (a virtualenv from the pinned constraints).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench explore catalogs clean server test-server

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py run

# The shared dossier server (see server/README.md): migrate, then serve on 127.0.0.1:8000.
server: $(STAMP)
	$(PY) -m server

# Only the server's tests, on SQLite and on a private PostgreSQL (installed when missing).
test-server: $(STAMP)
	$(VENV)/bin/pytest tests/unit/server tests/integration/server

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint
	sh tests/install-test-tools.sh
	$(VENV)/bin/pytest

bench: $(STAMP)
	$(PY) -m bench

# New random examples of the sync state machine (the suite replays a fixed 25): EXAMPLES=200.
EXAMPLES ?= 100
explore: $(STAMP)
	KEUKENTAFEL_EXPLORE=$(EXAMPLES) $(VENV)/bin/pytest -p no:randomly -x -q --timeout=0 \
		tests/integration/sync/test_convergence_stateful.py::test_tablets_editing_offline_and_syncing_in_any_order_converge_on_the_real_server

# Re-extract messages after changing texts; then translate the .po files and compile.
catalogs: $(STAMP)
	$(VENV)/bin/pybabel extract --no-location --sort-output -F babel.cfg -o assets/locales/keukentafel.pot .
	$(VENV)/bin/pybabel update --no-fuzzy-matching -D keukentafel -i assets/locales/keukentafel.pot -d assets/locales
	$(VENV)/bin/pybabel compile -D keukentafel -d assets/locales

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis test-output
