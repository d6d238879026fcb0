# The two set-up commands: `make demo` and `make test`. Each creates .venv and installs what it needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hallmark demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy --strict src/hallmark/ledger/merkle.py src/hallmark/inventory/classify.py \
	  src/hallmark/inventory/licenses.py src/hallmark/inventory/code.py \
	  src/hallmark/inventory/authorship.py src/hallmark/inventory/pii.py \
	  src/hallmark/review/metrics.py src/hallmark/review/features.py \
	  src/hallmark/review/segment.py src/hallmark/review/patterns.py \
	  src/hallmark/marks/codes.py src/hallmark/marks/stats.py src/hallmark/marks/columns.py \
	  src/hallmark/marks/tabular.py src/hallmark/marks/layout.py src/hallmark/marks/plan.py \
	  src/hallmark/marks/categorical.py \
	  src/hallmark/policy/compile.py src/hallmark/policy/decide.py \
	  src/hallmark/ledger/note.py src/hallmark/files.py \
	  src/hallmark/review/evidence.py src/hallmark/cli/safe.py src/hallmark/reports/textpdf.py \
	  src/hallmark/agreements/similarity.py \
	  src/hallmark/reports/closeout.py \
	  src/hallmark/inventory/deid.py src/hallmark/inventory/kanon.py
	$(BIN)/mypy --strict --follow-imports=silent src/hallmark/services src/hallmark/schemas \
	  src/hallmark/hooks.py src/hallmark/errors.py src/hallmark/store/clock.py \
	  src/hallmark/marks/keys.py src/hallmark/marks/scheme.py src/hallmark/marks/scoring.py \
	  src/hallmark/marks/tabular_scheme.py src/hallmark/marks/plugin.py src/hallmark/audit \
	  src/hallmark/inventory/readers/plugin.py src/hallmark/cli/plugin.py \
	  src/hallmark/demo/plugin.py src/hallmark/__init__.py src/hallmark/enforce \
	  src/hallmark/ledger/casefile.py src/hallmark/agreements/screening.py \
	  src/hallmark/agreements/screening_csv.py \
	  src/hallmark/agreements/closeout.py

pytest: $(STAMP)
	$(BIN)/pytest -n 2 tests

test: lint typecheck pytest

# Every benchmark; each prints a markdown table and writes bench/results/<name>.json.
# b3sum (Debian package `b3sum`) is compared against when present.
bench: $(STAMP)
	$(BIN)/python bench/hashing.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/policy.py
	$(BIN)/python bench/marks_tabular.py
	$(BIN)/python bench/review_cuad.py
	$(BIN)/python bench/startup.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Rebuild the clause classifier shipped in src/hallmark/review/model/ from the CUAD training split
# (../shared/data/cuad-train, or HALLMARK_CUAD_DIR); deterministic, a minute or two on one core.
.PHONY: train-review bench-review
train-review: $(STAMP)
	nice $(BIN)/python -m hallmark.review.train

bench-review: $(STAMP)
	$(BIN)/python bench/review_cuad.py
