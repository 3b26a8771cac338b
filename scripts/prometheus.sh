#!/usr/bin/env bash
# Make sure Prometheus's `prometheus` and `promtool` are installed (Debian
# package `prometheus`) for the monitoring tests.
#
#   scripts/prometheus.sh ensure
#
# The tests run Prometheus as a process of their own (loopback, temporary
# config and data); the package's own service must not start: a policy-rc.d
# forbids it during the install, and should it run anyway afterwards, only the
# service this install started is stopped (by its PID).
set -euo pipefail

log() { printf 'prometheus: %s\n' "$*"; }
die() { printf 'prometheus: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/lib/debian.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/debian.sh"


prometheus_pids() { pgrep -x prometheus 2>/dev/null | sort || true; }

install_prometheus() {
    local before after pid
    before="$(prometheus_pids)"
    APT_NO_SERVICES=1 apt_install prometheus
    # Without systemd nothing should have started; if the package did start its
    # service anyway, stop that one only (not a Prometheus someone else runs).
    after="$(prometheus_pids)"
    for pid in $(comm -13 <(echo "$before") <(echo "$after")); do
        log "stopping the prometheus service the install started (pid $pid)"
        as_root kill "$pid" || true
    done
}

cmd_ensure() {
    if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
        log "$(prometheus --version 2>&1 | head -n1)"
        return 0
    fi
    install_prometheus
    command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 \
        || die "prometheus/promtool still not found after install"
    log "$(prometheus --version 2>&1 | head -n1)"
}

case "${1:-}" in
ensure) cmd_ensure ;;
*)
    echo "usage: $0 ensure" >&2
    exit 2
    ;;
esac
