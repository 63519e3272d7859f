# edgeguard — two commands for a new user: `make demo` and `make test`.
# Everything else installs itself: a .venv with Python 3.13 (the Lambda runtime) is
# created on first use, so `sam build` finds python3.13 on PATH.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
BUILD_DIR := .aws-sam/build
ENV ?= default

export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1
export PATH := $(CURDIR)/$(BIN):$(PATH)

# Python 3.13: PATH first, then pyenv. A candidate counts only if it really runs
# (a pyenv shim is on PATH even when no 3.13 is selected).
PY313 := $(shell for c in "$$(command -v python3.13 2>/dev/null)" \
	$$(command -v pyenv >/dev/null 2>&1 && ls -d "$$(pyenv root)"/versions/3.13*/bin/python3.13 2>/dev/null | sort -rV); do \
	[ -n "$$c" ] && "$$c" -c 'import sys, venv; assert sys.version_info[:2] == (3, 13)' 2>/dev/null \
	&& { echo "$$c"; break; }; done)

.PHONY: help venv demo test lint typecheck format validate build checkov pytest browser bench screenshots deploy delete clean

help:
	@echo "make demo     the whole suite on this machine, no AWS account needed"
	@echo "make test     lint, type check, template checks, sam build and every test (what CI runs)"
	@echo "make build    sam build into $(BUILD_DIR)"
	@echo "make deploy   sam deploy (ENV=default|prod, see samconfig.toml)"
	@echo "make delete   delete the stack and what CloudFormation retains (ENV=..., KEEP_DATA=1)"
	@echo "make bench    performance figures"
	@echo "make format   ruff format + autofix"
	@echo "make screenshots  docs/img/report.png and docs/img/telegram-alert.png, from the code"

$(STAMP): pyproject.toml constraints.txt layers/edgeguard/requirements.txt
	@if [ ! -x "$(BIN)/python3.13" ]; then \
		if [ -z "$(PY313)" ]; then \
			echo "error: Python 3.13 not found (needed: it is the Lambda runtime and sam build uses it)." >&2; \
			echo "       Install it, e.g. 'pyenv install 3.13' or 'apt-get install python3.13 python3.13-venv'," >&2; \
			echo "       then run make again." >&2; \
			exit 1; \
		fi; \
		echo "creating $(VENV) with $(PY313)"; \
		rm -rf $(VENV); \
		"$(PY313)" -m venv $(VENV); \
	fi
	@# First run (or pyproject/constraints changed): say so, and let pip show its progress.
	@echo "installing dependencies into $(VENV) (first run: ~1-2 min; later runs skip this)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar on -c constraints.txt -e '.[dev]'
	@touch $(STAMP)
	@echo "dependencies installed into $(VENV)"

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/edgeguard demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

validate: $(STAMP)
	$(BIN)/sam validate --lint --region $(AWS_DEFAULT_REGION)

checkov: $(STAMP)
	$(BIN)/checkov --quiet --compact --skip-download --framework cloudformation -f template.yaml
	@# checkov leaves out resources whose condition is false with the defaults: check the
	@# opt-in two-way Telegram resources (TelegramCommands=enabled) too.
	@mkdir -p .aws-sam
	sed '/^  TelegramCommands:$$/,/Default:/ s/Default: disabled/Default: enabled/' template.yaml > .aws-sam/template-telegram-commands.yaml
	$(BIN)/checkov --quiet --compact --skip-download --framework cloudformation -f .aws-sam/template-telegram-commands.yaml

build: $(STAMP)
	$(BIN)/sam build --build-dir $(BUILD_DIR) --cached --parallel

# tests/browser drive a real headless Chromium: Debian's package (Playwright's own
# browser download is never used). Installed here when missing; no apt-get is an error.
browser:
	@if [ -n "$$EDGEGUARD_CHROMIUM" ] && [ -x "$$EDGEGUARD_CHROMIUM" ]; then exit 0; fi; \
	if command -v chromium >/dev/null 2>&1; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "error: the browser tests need Chromium and apt-get is not available here." >&2; \
		echo "       Install Chromium and put it on PATH as 'chromium', or set EDGEGUARD_CHROMIUM=/path/to/chrome." >&2; \
		exit 1; \
	fi; \
	SUDO=""; if [ "$$(id -u)" != 0 ]; then SUDO="sudo"; fi; \
	echo "installing Chromium from Debian's packages for the browser tests (apt-get, about 1-2 minutes)"; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium \
		|| { echo "error: could not install Chromium (apt-get install chromium failed, see above)." >&2; exit 1; }

pytest: $(STAMP) browser
	@# exit code 5 (no tests collected) is a failure, as is any other non-zero code.
	$(BIN)/python -m pytest -n auto --dist loadfile

test: lint typecheck validate checkov build pytest

bench: $(STAMP)
	$(BIN)/python -m bench

screenshots: $(STAMP) browser
	$(BIN)/python -m bench.screenshots

deploy: build
	$(BIN)/sam deploy --config-env $(ENV) --template-file $(BUILD_DIR)/template.yaml

# The stack of ENV in samconfig.toml; teardown also deletes the retained decisions
# table and empties the log buckets (sam delete leaves the one and fails on the others).
delete: $(STAMP)
	$(BIN)/edgeguard teardown --config-env $(ENV) $(if $(KEEP_DATA),--keep-data)

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache .mypy_cache
