# Two commands do all set-up on a fresh clone:
#   make app    create .venv if needed, install, start the Streamlit app on the embedded default
#   make test   create .venv if needed, install, run the test suite
# torch is pinned first so pip takes the local CPU build on these machines; on other
# machines the same pin gives the normal PyPI build for that platform.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TORCH_PIN := torch==2.13.0
PORT ?= 8501
# The embedded storm demo (synthetic SEVIR, ~1 minute to write once); rebuild with
# `$(PY) -m engine data make-demo --force`.
DEMO_SEVIR := .cache/demo/sevir/CATALOG.csv

.PHONY: app test bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PIN)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(DEMO_SEVIR): | $(STAMP)
	$(PY) -m engine data make-demo

app: $(STAMP) $(DEMO_SEVIR)
	$(PY) -m streamlit run app/streamlit_app.py --server.port $(PORT)

test: $(STAMP)
	$(PY) -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; \
	exit $$rc

bench: $(STAMP)
	$(PY) -m engine bench cuboid

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
