#!/usr/bin/env bash
# What `make test` runs: set up .venv, make sure a broker and PostgreSQL answer, check the
# published contract (whole suite only), run pytest.
#
#   scripts/test.sh [PYTEST ARGS...]     (default: tests)
#
# Exits with pytest's exit code. If this run started the broker or PostgreSQL itself
# (see scripts/broker.sh, scripts/postgres.sh), it stops them again at the end; a
# server that was already running is left alone.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO_ROOT"

MARKER="var/run/broker.started"
PG_MARKER="var/run/postgres.started"
we_started_broker=0
we_started_postgres=0

# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
    if ((we_started_broker)); then
        scripts/broker.sh stop || echo "test: warning: could not stop the broker" >&2
    fi
    if ((we_started_postgres)); then
        scripts/postgres.sh stop || echo "test: warning: could not stop PostgreSQL" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/setup.sh

# The marker (with the node's PID and start time) changes only when
# broker.sh starts a broker of its own.
marker_before="$(cat "$MARKER" 2>/dev/null || true)"
broker_rc=0
scripts/broker.sh start </dev/null || broker_rc=$?
if [[ -f "$MARKER" && "$(cat "$MARKER")" != "$marker_before" ]]; then
    we_started_broker=1
fi
if ((broker_rc != 0)); then
    echo "test: error: no usable RabbitMQ broker (scripts/broker.sh start failed)" >&2
    exit "$broker_rc"
fi

pg_marker_before="$(cat "$PG_MARKER" 2>/dev/null || true)"
pg_rc=0
scripts/postgres.sh start </dev/null || pg_rc=$?
if [[ -f "$PG_MARKER" && "$(cat "$PG_MARKER")" != "$pg_marker_before" ]]; then
    we_started_postgres=1
fi
if ((pg_rc != 0)); then
    echo "test: error: no usable PostgreSQL (scripts/postgres.sh start failed)" >&2
    exit "$pg_rc"
fi
# Tests make (and drop) their databases through this role.
DISPUTES_POSTGRES_ADMIN_URL="$(scripts/postgres.sh url)"
export DISPUTES_POSTGRES_ADMIN_URL

if (($# == 0)); then
    set -- tests
fi

# The whole suite also checks the published contract (docs/contract) as CI must.
if [[ "$*" == "tests" ]]; then
    scripts/contract.sh check </dev/null
fi

echo "test: .venv/bin/python -m pytest $*"
rc=0
.venv/bin/python -m pytest "$@" || rc=$?
exit "$rc"
