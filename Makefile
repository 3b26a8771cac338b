# The habits of this project: `make help` lists them.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
DISPUTES := $(VENV)/bin/disputes
CASES ?= 50
YEAR_CASES ?= 600

.DEFAULT_GOAL := help
.PHONY: help setup run city-year up down status test test-unit test-integration test-e2e test-faults test-replicas test-city-year lint bench bench-replay bench-report bench-trail contract contract-check deploy-check clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

setup: ## venv and Python dependencies (idempotent; every other target runs it)
	@scripts/setup.sh

run: setup ## set up, start broker and services, file $(CASES) demo claims and follow them to the end
	@$(DISPUTES) up
	@$(DISPUTES) demo --cases $(CASES)
	@echo "The platform keeps running: try '$(DISPUTES) handoffs' or '$(DISPUTES) trail CASE_ID', or open the worker portal at http://127.0.0.1:$${DISPUTES_PORTAL_HTTP_PORT:-8110}/ ; '$(DISPUTES) down' stops it."

city-year: setup ## a city's year of $(YEAR_CASES) claims, time compressed, on a platform of its own: warnings and the year's report
	@$(DISPUTES) up
	@$(DISPUTES) city-year --cases $(YEAR_CASES)

up: setup ## start the local broker (when none answers) and every service
	@$(DISPUTES) up

down: setup ## stop the services, and the broker if `up` started it
	@$(DISPUTES) down

status: setup ## broker and services: running, healthy?
	@$(DISPUTES) status

test: ## the whole suite: unit, integration (real RabbitMQ; SQLite and PostgreSQL), end-to-end, deploy checks, fault tests
	@scripts/test.sh tests

test-unit: ## fast tests, no broker
	@scripts/setup.sh && $(PY) -m pytest tests/unit

test-integration: ## against the real RabbitMQ, on SQLite and on PostgreSQL
	@scripts/test.sh tests/integration

test-e2e: ## every service as its own process, hundreds of cases through every path
	@scripts/test.sh tests/e2e

test-faults: ## kill -9, broker restart, locked databases, PostgreSQL stopped, bad messages (over 100,000 hostile messages and requests); thousands of cases, private RabbitMQ and PostgreSQL; a new random seed each run (make test: the pinned one)
	@DISPUTES_FAULT_SEED=$${DISPUTES_FAULT_SEED:-random} DISPUTES_FAULT_CASES=$${DISPUTES_FAULT_CASES:-2000} \
		DISPUTES_HOSTILE_MESSAGES=$${DISPUTES_HOSTILE_MESSAGES:-90000} \
		DISPUTES_HOSTILE_REQUESTS=$${DISPUTES_HOSTILE_REQUESTS:-12000} scripts/test.sh tests/faults

test-replicas: ## two replicas of every service on PostgreSQL: one of each killed, clocks made due, a case held a minute (alone; also in make test)
	@DISPUTES_FAULT_SEED=$${DISPUTES_FAULT_SEED:-random} DISPUTES_FAULT_CASES=$${DISPUTES_FAULT_CASES:-2000} \
		scripts/test.sh tests/faults/test_faults.py -m replicas

test-city-year: ## the compressed city year end to end (150 claims; about a minute and a half, so not in make test)
	@scripts/test.sh tests/e2e/test_city_year.py -m city_year

lint: setup ## ruff and mypy
	@$(VENV)/bin/ruff check shared services cli tests bench examples tools
	@$(VENV)/bin/mypy

contract: setup ## regenerate the published event contract in docs/contract (AsyncAPI, JSON Schemas)
	@scripts/contract.sh write

contract-check: setup ## committed contract up to date, and valid by the AsyncAPI and JSON Schema validators
	@scripts/contract.sh check

MODE ?= lifecycle
REPLAY_CASES ?= 300
bench: setup ## cases per second through the whole lifecycle vs raw kombu on the same broker (MODE=replay: $(REPLAY_CASES) cases driven by events at the highest sustained rate)
	@scripts/broker.sh start && $(PY) -m bench.$(if $(filter replay,$(MODE)),replay --cases $(REPLAY_CASES) $(if $(DATABASE),--database $(DATABASE)) $(if $(REPLICAS),--replicas $(REPLICAS)),lifecycle)

bench-replay: setup ## a city's case flow driven by the platform's events at the highest sustained rate: throughput, CPU, handoff latency, RSS vs raw kombu (DATABASE=postgres or URL; REPLICAS=N per service, PostgreSQL only)
	@$(MAKE) --no-print-directory bench MODE=replay

REPORT_CASES ?= 200000
bench-report: setup ## the analytics report on a year of $(REPORT_CASES) cases (DATABASE=URL for PostgreSQL): counted in the database vs over the rows
	@$(PY) -m bench.analytics_report --cases $(REPORT_CASES) $(if $(DATABASE),--database $(DATABASE))

TRAIL_CASES ?= 1000000
bench-trail: setup ## the trail on a large database of $(TRAIL_CASES) cases (DATABASE=postgres or URL): disputes trail CASE_ID and disputes handoffs timed
	@$(PY) -m bench.large_trail --cases $(TRAIL_CASES) $(if $(DATABASE),--database $(DATABASE))

deploy-check: setup ## Dockerfiles (hadolint and our rules), the packages the images install, every k8s manifest and overlay (kustomize, Kubernetes schemas, CRDs)
	@$(PY) -m pytest tests/deploy -q

clean: ## back to the tree as cloned: local data, logs, the venv, caches, build leftovers, the contract tools
	rm -rf var $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis tools/contract/node_modules
	find . -path ./.git -prune -o \( -name __pycache__ -o -name '*.egg-info' -o -name build \) -type d -prune -exec rm -rf {} +
