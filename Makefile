# Thin wrappers; the README names `make preview` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MODELS_BIN := .venv-models/bin
CHECKOV_BIN := .venv-checkov/bin
STAMP := $(VENV)/.installed

.PHONY: install preview test unit lint typecheck models-test models-env checkov-env checkov-gcp-doc dockerd bench lock-base-images clean

# The deploy environment: Pulumi SDKs, the policy pack, the CLI, linters and test tools.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[dev]'
	# The real TF Serving config messages, without TensorFlow (see docs/environments.md).
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps 'tensorflow-serving-api==2.19.0'
	touch $(STAMP)

install: $(STAMP)

# Every stack, offline, with no cloud account: plan tables and policy verdicts.
preview: $(STAMP)
	$(BIN)/servestack preview --offline --all

# The environment with TensorFlow for export, `models check`, the smoke client and contract tests.
models-env: .venv-models/.installed
.venv-models/.installed: pyproject.toml scripts/models-env.sh
	bash scripts/models-env.sh
	touch $@

# checkov pins its own versions of common libraries, so it gets an environment of its own.
checkov-env: $(CHECKOV_BIN)/checkov
$(CHECKOV_BIN)/checkov:
	$(PYTHON) -m venv .venv-checkov
	$(CHECKOV_BIN)/python -m pip install --disable-pip-version-check -q 'checkov>=3.2,<4'

# docs/checkov-gcp.md from a fresh checkov run over every GKE stack's GCP resources.
checkov-gcp-doc: $(STAMP) checkov-env
	$(BIN)/python -m infra.ops.checkov_gcp

dockerd:
	bash scripts/start-dockerd.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) checkov-env
	$(BIN)/pytest -q tests --ignore=tests/models

models-test: models-env
	$(MODELS_BIN)/python -m pytest -q tests/models

test: lint typecheck checks unit models-test

bench: $(STAMP)
	$(BIN)/python bench/preview_bench.py

lock-base-images: $(STAMP)
	$(BIN)/python scripts/lock-base-images.py

# The field's own checkers on every workflow, script and the Renovate config.
.PHONY: checks renovate-env local-cluster local-down
RENOVATE := tools/renovate/node_modules/.bin/renovate-config-validator
renovate-env: $(RENOVATE)
$(RENOVATE): tools/renovate/package.json tools/renovate/package-lock.json
	npm ci --prefix tools/renovate --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

checks: $(STAMP) $(RENOVATE)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/actionlint -no-color .github/workflows/*.yml
	$(BIN)/zizmor --offline --no-progress .github/workflows
	$(BIN)/shellcheck scripts/*.sh scripts/e2e/*.sh .ci/run
	# re2 is a native add-on (install scripts stay off): patterns are checked with Node's RegExp.
	RENOVATE_X_IGNORE_RE2=true $(RENOVATE) --strict

# The local stack's cluster: kind `servestack` and a registry on localhost:5001 (needs Docker).
local-cluster:
	bash scripts/local-cluster.sh up

local-down:
	bash scripts/local-cluster.sh down

clean:
	rm -rf build out .pytest_cache .mypy_cache .ruff_cache
