# The two commands a newcomer needs: `make run` and `make test`.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: run test system-deps venv lint typecheck pytest bench clean

run: system-deps $(STAMP)
	$(BIN)/hotline db upgrade
	$(BIN)/hotline prompts build
	$(BIN)/hotline serve

test: system-deps $(STAMP) lint typecheck pytest

system-deps:
	@bash scripts/system-deps.sh

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy hotline ivr callflow asr ticketing sms_feedback recordings knowledge console reports

pytest: $(STAMP)
	bash scripts/with-postgres.sh $(BIN)/pytest -q -p no:cacheprovider

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache var test-output
