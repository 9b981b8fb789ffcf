# The two front-door commands: `make run` and `make test` (see README.md).
VENV ?= .venv
PYTHON ?= python3

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

# Prism, the Twilio REST API mock the SMS sender tests use (skipped with a reason without npm).
node_modules/.bin/prism: package-lock.json
	-npm ci --no-audit --no-fund --loglevel=error

.PHONY: install run test bench bench-load bench-ats eval
install: $(VENV)/.installed

# make run PORT=5050: another port than 5000 (then call with --url http://127.0.0.1:5050).
run: $(VENV)/.installed
	$(VENV)/bin/flask --app app serve $(if $(PORT),--port $(PORT))

test: $(VENV)/.installed node_modules/.bin/prism
	$(VENV)/bin/python -m pytest -q

bench: $(VENV)/.installed
	$(VENV)/bin/python bench/webhooks.py
	$(VENV)/bin/python bench/invite_latency.py

# Simulated Twilio callers against gunicorn: the ceiling, SQLite and PostgreSQL (bench/load.py).
bench-load: $(VENV)/.installed
	$(VENV)/bin/python bench/load.py

# How well the interpreters understand callers: n, coverage and precision per interpreter and
# language on the labelled answers in tests/data/ (receptionist/devtools/evaluate.py).
eval: $(VENV)/.installed
	$(VENV)/bin/python -m receptionist.devtools.evaluate

# ATS lookups (built-in ATS and the Greenhouse mirror) among 1,000,000 candidates, SQLite and
# PostgreSQL; the last line is `ats lookup p99 X ms at N candidates (backend)` (bench/ats.py).
bench-ats: $(VENV)/.installed
	$(VENV)/bin/python bench/ats.py
