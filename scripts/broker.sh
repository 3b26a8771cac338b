#!/usr/bin/env bash
# Make sure a RabbitMQ broker answers on 127.0.0.1 for tests and local runs.
#
#   scripts/broker.sh start   use the broker already on 127.0.0.1:5672 (and make
#                             sure its management, prometheus and consistent-hash
#                             exchange plugins are on), or start our own, loopback
#                             only, with state under var/rabbitmq
#   scripts/broker.sh stop    stop the broker ONLY if this script started it
#                             (marker var/run/broker.started); never another one
#   scripts/broker.sh status  AMQP / management answering? started by us?
#   scripts/broker.sh install make sure rabbitmq-server and epmd are installed (the fault
#                             tests run private nodes of their own), starting nothing
#
# Needs: guest/guest on AMQP 127.0.0.1:5672 and the management HTTP API on
# 127.0.0.1:15672 (nameko's pytest rabbit_config fixture creates a vhost per
# test through it). rabbitmq_prometheus is enabled too when it is available
# (broker metrics on 127.0.0.1:15692; a broker we did not start keeps its own
# listener settings for it).
#
# Environment (defaults in brackets; normally leave them alone):
#   BROKER_AMQP_PORT [5672]  BROKER_MGMT_PORT [15672]  BROKER_PROM_PORT [15692]
#   BROKER_NODENAME [rabbit@localhost]
#   BROKER_DIST_PORT [AMQP port + 20000]   Erlang distribution port of our node
#   BROKER_START_TIMEOUT [90]  BROKER_MGMT_TIMEOUT [60]   (seconds)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

HOST=127.0.0.1
AMQP_PORT="${BROKER_AMQP_PORT:-5672}"
MGMT_PORT="${BROKER_MGMT_PORT:-15672}"
PROM_PORT="${BROKER_PROM_PORT:-15692}"
NODE="${BROKER_NODENAME:-rabbit@localhost}"
DIST_PORT="${BROKER_DIST_PORT:-$((AMQP_PORT + 20000))}"
START_TIMEOUT="${BROKER_START_TIMEOUT:-90}"
MGMT_TIMEOUT="${BROKER_MGMT_TIMEOUT:-60}"

RMQ_VAR="$REPO_ROOT/var/rabbitmq"
RUN_DIR="$REPO_ROOT/var/run"
MARKER="$RUN_DIR/broker.started"
LOCK="$RUN_DIR/broker.lock"
MGMT_URL="http://$HOST:$MGMT_PORT/api/overview"

# Erlang needs HOME (the CLI and the node find the shared .erlang.cookie there).
if [[ -z "${HOME:-}" ]]; then
    HOME="$(getent passwd "$(id -u)" | cut -d: -f6)"
    export HOME
fi

log() { printf 'broker: %s\n' "$*"; }
warn() { printf 'broker: warning: %s\n' "$*" >&2; }
die() { printf 'broker: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/lib/debian.sh
. "$REPO_ROOT/scripts/lib/debian.sh"

# --- probes -------------------------------------------------------------------

amqp_up() { timeout 2 bash -c "</dev/tcp/$HOST/$AMQP_PORT" >/dev/null 2>&1; }

# The rabbitmq_prometheus plugin's endpoint (broker metrics for Prometheus).
prom_up() {
    command -v curl >/dev/null 2>&1 || return 1
    curl -fsS -o /dev/null --max-time 3 "http://$HOST:$PROM_PORT/metrics" >/dev/null 2>&1
}

mgmt_up() {
    command -v curl >/dev/null 2>&1 || return 1
    curl -fsS -o /dev/null --max-time 3 -u guest:guest "$MGMT_URL" >/dev/null 2>&1
}

# The exchange type the platform services' inboxes are sharded by
# (rabbitmq_consistent_hash_exchange), as the management API lists it.
hash_exchange_up() {
    command -v curl >/dev/null 2>&1 || return 1
    curl -fsS --max-time 3 -u guest:guest "$MGMT_URL" 2>/dev/null | grep -q '"x-consistent-hash"'
}

# wait_until SECONDS CMD...: poll CMD every second until it succeeds.
wait_until() {
    local limit=$1 start=$SECONDS
    shift
    until "$@"; do
        ((SECONDS - start < limit)) || return 1
        sleep 1
    done
}

# pid_is PID NAME: PID is alive (not a zombie) and its command name is NAME.
pid_is() {
    [[ "$1" =~ ^[0-9]+$ ]] || return 1
    local stat
    if [[ -d /proc/self ]]; then
        [[ "$(cat "/proc/$1/comm" 2>/dev/null || true)" == "$2" ]] || return 1
        stat="$(cat "/proc/$1/stat" 2>/dev/null || true)"
        stat="${stat##*) }" # field 3, after "pid (comm) "
        [[ -n "$stat" && "${stat:0:1}" != Z ]]
    else
        [[ "$(ps -o comm= -p "$1" 2>/dev/null || true)" == "$2" ]] &&
            [[ "$(ps -o stat= -p "$1" 2>/dev/null || true)" != Z* ]]
    fi
}

beam_gone() { ! pid_is "$1" beam.smp; }

# is_our_beam PID: a live beam.smp that runs on our state directory (checked
# through its environment where /proc allows), i.e. a node this script started.
is_our_beam() {
    pid_is "${1:-}" beam.smp || return 1
    [[ -r "/proc/$1/environ" ]] || return 0
    tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null |
        grep -qxF "RABBITMQ_MNESIA_BASE=$RMQ_VAR/mnesia"
}

# PID of our node as recorded: the marker, else the node's own PID file.
recorded_beam_pid() {
    local pid
    pid="$(marker_get beam_pid)"
    if [[ -z "$pid" && -s "$RMQ_VAR/rabbit.pid" ]]; then
        pid="$(tr -dc '0-9' <"$RMQ_VAR/rabbit.pid")"
    fi
    echo "$pid"
}

marker_get() { sed -n "s/^$1=//p" "$MARKER" 2>/dev/null | head -n1; }

# The marker exists and the node it recorded is still alive.
ours_running() {
    [[ -f "$MARKER" ]] && is_our_beam "$(recorded_beam_pid)"
}

epmd_up() { timeout 2 bash -c "</dev/tcp/$HOST/${ERL_EPMD_PORT:-4369}" >/dev/null 2>&1; }

epmd_names() {
    command -v epmd >/dev/null 2>&1 || return 1
    ERL_EPMD_ADDRESS=$HOST timeout 5 epmd -names 2>/dev/null
}

# --- locking (start/stop must not race, e.g. two test runs) -------------------

take_lock() {
    mkdir -p "$RUN_DIR"
    command -v flock >/dev/null 2>&1 || return 0
    exec 9>"$LOCK"
    flock -w 300 9 || die "could not lock $LOCK within 300 s"
}

# --- RabbitMQ installation / binaries --------------------------------------------

# Directory holding the real rabbitmq-server/rabbitmqctl scripts. On Debian and
# Ubuntu /usr/sbin/rabbitmq* are wrappers that `su` to the rabbitmq user (and
# refuse other users); we call the real scripts so that node and CLI both run
# as the current user and share $HOME/.erlang.cookie.
find_rmq_bin() {
    if [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]]; then
        echo /usr/lib/rabbitmq/bin
        return 0
    fi
    local p
    p="$(PATH="$PATH:/usr/sbin:/usr/local/sbin:/sbin" command -v rabbitmq-server 2>/dev/null)" || return 1
    dirname "$(readlink -f "$p")"
}

# rabbitmq-plugins/rabbitmqctl as installed (the Debian wrapper picks the
# system broker's cookie); used only for a broker we did not start.
system_tool() {
    PATH="$PATH:/usr/sbin:/usr/local/sbin:/sbin" command -v "$1" 2>/dev/null
}


ensure_curl() {
    command -v curl >/dev/null 2>&1 || apt_install curl
}

# epmd, the Erlang port mapper each node registers with (on PATH, as the fault tests call it).
epmd_installed() { command -v epmd >/dev/null 2>&1; }

ensure_rabbitmq_installed() {
    if find_rmq_bin >/dev/null && epmd_installed; then
        ensure_curl
        return 0
    fi
    apt_install rabbitmq-server erlang-base curl
    find_rmq_bin >/dev/null || die "rabbitmq-server still not found after install"
    epmd_installed || die "epmd still not found after install"
}

# --- a broker we did not start ------------------------------------------------------

use_foreign_broker() {
    ensure_curl
    if mgmt_up && prom_up && hash_exchange_up; then
        log "management API answers on $HOST:$MGMT_PORT, broker metrics on $HOST:$PROM_PORT"
        return 0
    fi
    local plugins
    # Only for a local Erlang node (epmd answers); otherwise (a container, a
    # remote port) the tool could not reach it and would just start an epmd.
    if ! epmd_up; then
        warn "no local Erlang node (epmd not answering); cannot enable plugins on that broker"
    elif plugins="$(system_tool rabbitmq-plugins)"; then
        log "enabling rabbitmq_management, rabbitmq_prometheus and rabbitmq_consistent_hash_exchange on the running broker"
        # No environment of ours here: the tool must talk to that node with its
        # own settings (on Debian the wrapper supplies the node's cookie).
        timeout 120 "$plugins" enable rabbitmq_management </dev/null 9>&- \
            || die "'rabbitmq-plugins enable rabbitmq_management' failed; enable it on that broker by hand"
        # The broker's own metrics for dashboards and the monitoring tests; a
        # broker without the plugin still serves everything else.
        timeout 120 "$plugins" enable rabbitmq_prometheus </dev/null 9>&- \
            || warn "'rabbitmq-plugins enable rabbitmq_prometheus' failed; broker metrics unavailable"
        # Each platform service's inbox is shards behind a consistent-hash exchange.
        timeout 120 "$plugins" enable rabbitmq_consistent_hash_exchange </dev/null 9>&- \
            || die "'rabbitmq-plugins enable rabbitmq_consistent_hash_exchange' failed; enable it on that broker by hand"
    else
        warn "rabbitmq-plugins is not on this machine; waiting for the management API anyway"
    fi
    log "waiting for the management API on $HOST:$MGMT_PORT (up to ${MGMT_TIMEOUT} s)"
    wait_until "$MGMT_TIMEOUT" mgmt_up \
        || die "management API did not answer: curl -u guest:guest $MGMT_URL"
    log "management API answers on $HOST:$MGMT_PORT"
}

# --- our own broker ------------------------------------------------------------------

# Run a command with the environment of our own node (in a subshell).
with_our_env() (
    export RABBITMQ_NODENAME="$NODE"
    export RABBITMQ_CONF_ENV_FILE="$RMQ_VAR/rabbitmq-env.conf"
    export RABBITMQ_CONFIG_FILE="$RMQ_VAR/rabbitmq.conf"
    export RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_VAR/advanced.config"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_VAR/enabled_plugins"
    export RABBITMQ_MNESIA_BASE="$RMQ_VAR/mnesia"
    export RABBITMQ_LOG_BASE="$RMQ_VAR/log"
    export RABBITMQ_PID_FILE="$RMQ_VAR/rabbit.pid"
    export RABBITMQ_DIST_PORT="$DIST_PORT"
    export ERL_EPMD_ADDRESS="$HOST"
    export ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"
    "$@"
)

# 9>&-: should the CLI have to start an epmd, that daemon must not keep our lock.
our_ctl() {
    with_our_env timeout "${CTL_TIMEOUT:-60}" "$RMQ_BIN/rabbitmqctl" -n "$NODE" "$@" </dev/null 9>&-
}

write_config() {
    mkdir -p "$RMQ_VAR/mnesia" "$RMQ_VAR/log" "$RUN_DIR"
    local plugins="rabbitmq_management,rabbitmq_consistent_hash_exchange" home prometheus=0
    home="$(dirname "$(readlink -f "$RMQ_BIN/rabbitmq-server")")/.."
    if compgen -G "$home/plugins/rabbitmq_prometheus-*" >/dev/null; then
        plugins+=",rabbitmq_prometheus"
        prometheus=1
    else
        warn "rabbitmq_prometheus not available; starting without it"
    fi
    {
        echo "# Generated by scripts/broker.sh; edits are overwritten on the next start."
        echo "listeners.tcp.local = $HOST:$AMQP_PORT"
        echo "management.tcp.ip = $HOST"
        echo "management.tcp.port = $MGMT_PORT"
        # prometheus.* keys are only known to the config schema with the plugin.
        if ((prometheus)); then
            echo "prometheus.tcp.ip = $HOST"
            echo "prometheus.tcp.port = $PROM_PORT"
        fi
    } >"$RMQ_VAR/rabbitmq.conf"
    printf '[%s].\n' "$plugins" >"$RMQ_VAR/enabled_plugins"
    # Keep /etc/rabbitmq/rabbitmq-env.conf out of our node's environment.
    printf '# Generated by scripts/broker.sh; settings come from its environment.\n' \
        >"$RMQ_VAR/rabbitmq-env.conf"
}

dump_logs() {
    local f
    for f in "$RMQ_VAR/log/startup.log" "$RMQ_VAR/log/$NODE.log"; do
        [[ -s "$f" ]] || continue
        printf -- '--- last lines of %s\n' "${f#"$REPO_ROOT"/}" >&2
        tail -n 30 "$f" >&2
    done
}

write_marker() {
    local beam_pid=$1 epmd_pid=$2
    cat >"$MARKER.tmp" <<EOF
node=$NODE
amqp_port=$AMQP_PORT
beam_pid=$beam_pid
epmd_pid=$epmd_pid
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
    mv -f "$MARKER.tmp" "$MARKER"
}

# OS PID of the node that answers to $NODE (whoever started it).
node_os_pid() { our_ctl eval 'os:getpid().' 2>/dev/null | tr -dc '0-9' || true; }

beam_pid_of_our_node() {
    local pid=""
    if [[ -s "$RMQ_VAR/rabbit.pid" ]]; then
        pid="$(tr -dc '0-9' <"$RMQ_VAR/rabbit.pid")"
    fi
    is_our_beam "$pid" || pid="$(node_os_pid)"
    is_our_beam "$pid" && echo "$pid"
}

# new_epmd_pid " PIDS BEFORE ": the newest epmd not in that list.
new_epmd_pid() {
    local p
    for p in $(pgrep -x epmd 2>/dev/null | sort -rn); do
        if [[ "$1" != *" $p "* ]]; then
            echo "$p"
            return 0
        fi
    done
}

node_started() { amqp_up && our_ctl -q await_startup --timeout 10 >/dev/null 2>&1; }

start_own_broker() {
    RMQ_BIN="$(find_rmq_bin)" || die "rabbitmq-server not found"
    write_config

    # Is an epmd already serving this host? If not, the node will start one,
    # and that one is ours to stop later.
    local epmd_was_running=0 epmd_before
    if epmd_up; then
        epmd_was_running=1
    fi
    epmd_before=" $(pgrep -x epmd 2>/dev/null | tr '\n' ' ')"

    log "starting our own RabbitMQ ($NODE, loopback only, state in var/rabbitmq)"
    # Fresh logs for this run (one previous kept), so failures show this run.
    local f
    for f in "$RMQ_VAR/log/startup.log" "$RMQ_VAR/log/$NODE.log"; do
        [[ -f "$f" ]] && mv -f "$f" "$f.1"
    done
    : >"$RMQ_VAR/log/startup.log"
    # Marker first, so `stop` can clean up even if this script is interrupted.
    write_marker "" ""
    # -detached: the node daemonizes. Close our lock fd and stdio for it, or
    # the node would hold them (and our caller's pipes) for its whole life.
    if ! with_our_env "$RMQ_BIN/rabbitmq-server" -detached \
        </dev/null >>"$RMQ_VAR/log/startup.log" 2>&1 9>&-; then
        dump_logs
        rm -f "$MARKER"
        die "rabbitmq-server -detached failed"
    fi

    log "waiting for the node to boot (up to ${START_TIMEOUT} s)"
    local booted=1
    wait_until "$START_TIMEOUT" node_started || booted=0

    local beam_pid epmd_pid=""
    beam_pid="$(beam_pid_of_our_node || true)"
    if ((epmd_was_running == 0)); then
        epmd_pid="$(new_epmd_pid "$epmd_before")"
    fi
    write_marker "$beam_pid" "$epmd_pid"

    if ((booted == 0)); then
        dump_logs
        warn "broker did not come up; cleaning up"
        stop_own_broker || true
        die "RabbitMQ did not start within ${START_TIMEOUT} s (logs: var/rabbitmq/log)"
    fi
    [[ -n "$beam_pid" ]] || warn "could not find the beam.smp PID of $NODE"
    ((epmd_was_running == 1)) || [[ -n "$epmd_pid" ]] || warn "could not find the epmd our node started"
    log "RabbitMQ up: amqp://guest:guest@$HOST:$AMQP_PORT (beam pid ${beam_pid:-?}${epmd_pid:+, epmd pid $epmd_pid})"

    log "waiting for the management API on $HOST:$MGMT_PORT (up to ${MGMT_TIMEOUT} s)"
    wait_until "$MGMT_TIMEOUT" mgmt_up || {
        dump_logs
        die "management API did not answer: curl -u guest:guest $MGMT_URL"
    }
    log "management API answers on $HOST:$MGMT_PORT"
}

# Stop the node recorded in the marker, and the epmd we started, then drop the
# marker. Only ever called when the marker exists.
#
# Everything here acts on the recorded PIDs after checking them, so a broker
# that merely has the same node name (say, the system's rabbit@localhost) is
# never stopped.
stop_own_broker() {
    local node beam_pid epmd_pid
    node="$(marker_get node)"
    epmd_pid="$(marker_get epmd_pid)"
    [[ -n "$node" ]] && NODE="$node"
    beam_pid="$(recorded_beam_pid)"

    if is_our_beam "$beam_pid"; then
        log "stopping our RabbitMQ ($NODE, beam pid $beam_pid)"
        if RMQ_BIN="$(find_rmq_bin)" && [[ "$(node_os_pid)" == "$beam_pid" ]]; then
            CTL_TIMEOUT=90 our_ctl stop >/dev/null 2>&1 || true
        else
            kill -TERM "$beam_pid" 2>/dev/null || true # RabbitMQ stops cleanly on TERM
        fi
        if ! wait_until 30 beam_gone "$beam_pid"; then
            warn "beam.smp $beam_pid still running; sending TERM"
            kill -TERM "$beam_pid" 2>/dev/null || true
            if ! wait_until 15 beam_gone "$beam_pid"; then
                kill -KILL "$beam_pid" 2>/dev/null || true
            fi
        fi
    else
        log "our RabbitMQ ($NODE) is not running any more"
    fi

    if [[ -n "$epmd_pid" ]] && pid_is "$epmd_pid" epmd; then
        local others
        others="$(epmd_names | sed -n 's/^name \([^ ]*\) at port.*/\1/p' || true)"
        if [[ -n "$others" ]]; then
            warn "leaving epmd ($epmd_pid) running: still used by node(s) $(echo "$others" | tr '\n' ' ')"
        else
            log "stopping epmd ($epmd_pid) that our broker started"
            kill "$epmd_pid" 2>/dev/null || true
        fi
    fi
    rm -f "$MARKER"
}

# --- commands ------------------------------------------------------------------------

cmd_start() {
    take_lock

    # Our marker but nothing answering: our broker died, hangs, or an earlier
    # start was interrupted. Clean up what we recorded, then start afresh.
    if [[ -f "$MARKER" ]] && ! { ours_running && amqp_up; }; then
        warn "our broker (var/run/broker.started) is not answering; cleaning up"
        stop_own_broker || true
    fi

    if amqp_up; then
        if [[ -f "$MARKER" ]]; then
            log "our RabbitMQ is already running on $HOST:$AMQP_PORT"
            ensure_curl
            wait_until "$MGMT_TIMEOUT" mgmt_up \
                || die "management API did not answer: curl -u guest:guest $MGMT_URL"
            log "management API answers on $HOST:$MGMT_PORT"
        else
            log "a broker we did not start answers on $HOST:$AMQP_PORT; using it"
            use_foreign_broker
        fi
        return 0
    fi

    ensure_rabbitmq_installed
    # Installing the package may have started the system's broker.
    if amqp_up; then
        log "a broker we did not start now answers on $HOST:$AMQP_PORT; using it"
        use_foreign_broker
        return 0
    fi

    # A node with our name registered in epmd but no AMQP yet: someone else's
    # broker is still booting. Give it time rather than clash with it.
    local short="${NODE%%@*}"
    if epmd_names | grep -q "^name $short at port"; then
        log "node '$short' is registered in epmd but AMQP is not answering yet; waiting (up to ${START_TIMEOUT} s)"
        wait_until "$START_TIMEOUT" amqp_up \
            || die "node '$short' is running but nothing answers on $HOST:$AMQP_PORT; fix or stop that broker"
        log "a broker we did not start answers on $HOST:$AMQP_PORT; using it"
        use_foreign_broker
        return 0
    fi

    start_own_broker
}

# The binaries only, whether or not a broker answers (one in a container, say): the
# package's own broker is kept from starting, so it can never clash with the one in use.
cmd_install() {
    take_lock
    APT_NO_SERVICES=1 ensure_rabbitmq_installed
    log "rabbitmq-server ($(find_rmq_bin)) and epmd are installed"
}

cmd_stop() {
    take_lock
    if [[ ! -f "$MARKER" ]]; then
        log "no broker started by scripts/broker.sh; nothing to stop"
        return 0
    fi
    stop_own_broker
    log "stopped"
}

cmd_status() {
    local rc=0 line
    if amqp_up; then
        log "AMQP $HOST:$AMQP_PORT: answering"
    else
        log "AMQP $HOST:$AMQP_PORT: not answering"
        rc=1
    fi
    if mgmt_up; then
        log "management http://$HOST:$MGMT_PORT: answering"
    else
        log "management http://$HOST:$MGMT_PORT: not answering"
        rc=1
    fi
    if prom_up; then
        log "broker metrics http://$HOST:$PROM_PORT/metrics: answering"
    else
        log "broker metrics http://$HOST:$PROM_PORT/metrics: not answering"
    fi
    if [[ -f "$MARKER" ]]; then
        line="yes ($(marker_get node), beam pid $(recorded_beam_pid)"
        if ours_running; then line+=", running)"; else line+=", NOT running: stale marker)"; fi
        log "started by scripts/broker.sh: $line"
    else
        log "started by scripts/broker.sh: no"
    fi
    return "$rc"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
install) cmd_install ;;
*)
    echo "usage: $0 start|stop|status|install" >&2
    exit 2
    ;;
esac
