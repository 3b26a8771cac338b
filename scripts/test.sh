#!/usr/bin/env bash
# What `make test` runs: set up .venv, make sure a broker and PostgreSQL answer (and, for the
# fault tier, that their binaries are installed), make sure Prometheus is installed, check the
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

started_by_us=() # the servers (broker, postgres) this run started, to stop at the end

# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
    local server
    for server in "${started_by_us[@]}"; do
        scripts/$server.sh stop || echo "test: warning: could not stop $server" >&2
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ensure_server NAME MARKER WHAT: `scripts/NAME.sh start`; the marker (with the server's PID
# and start time) changes only when the script starts a server of its own.
ensure_server() {
    local name=$1 marker=$2 what=$3 before rc=0
    before="$(cat "$marker" 2>/dev/null || true)"
    scripts/$name.sh start </dev/null || rc=$?
    if [[ -f "$marker" && "$(cat "$marker")" != "$before" ]]; then
        started_by_us+=("$name")
    fi
    if ((rc != 0)); then
        echo "test: error: no usable $what (scripts/$name.sh start failed)" >&2
        exit "$rc"
    fi
}

scripts/setup.sh
ensure_server broker var/run/broker.started "RabbitMQ broker"
ensure_server postgres "var/run/postgres-${POSTGRES_PORT:-5432}.started" PostgreSQL
# Tests make (and drop) their databases through this role.
DISPUTES_POSTGRES_ADMIN_URL="$(scripts/postgres.sh url)"
export DISPUTES_POSTGRES_ADMIN_URL

if (($# == 0)); then
    set -- tests
fi

# runs_fault_tier ARGS...: an argument names the fault tier, or the whole suite that holds it.
runs_fault_tier() {
    local arg
    for arg in "$@"; do
        arg="${arg%/}"
        case "$arg" in
        tests | ./tests | tests/faults | ./tests/faults | tests/faults/* | ./tests/faults/*) return 0 ;;
        esac
    done
    return 1
}

# The fault tier runs a RabbitMQ node and a PostgreSQL cluster of its own, so it needs their
# binaries even where the servers above already answer from elsewhere (a container, say).
if runs_fault_tier "$@"; then
    scripts/broker.sh install </dev/null
    scripts/postgres.sh install </dev/null
fi

# promtool checks the alert rules; the monitoring end-to-end test runs a Prometheus of its own.
scripts/prometheus.sh ensure </dev/null

# The whole suite also checks the published contract (docs/contract) as CI must.
if [[ "${1:-}" == "tests" ]]; then
    scripts/contract.sh check </dev/null
fi

echo "test: .venv/bin/python -m pytest $*"
rc=0
.venv/bin/python -m pytest "$@" || rc=$?
exit "$rc"
