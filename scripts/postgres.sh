#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1 for the tests.
#
#   scripts/postgres.sh start   use the server already on 127.0.0.1:5432 (its `postgres`
#                               role must be able to log in from loopback and create
#                               databases), or start our own cluster: Debian's
#                               `postgresql` package (apt-get when missing), initdb,
#                               pg_ctl, loopback only, no systemd
#   scripts/postgres.sh stop    stop the server ONLY if this script started it (marker
#                               var/run/postgres-PORT.started, checked against its PID)
#   scripts/postgres.sh status  answering? started by us?
#   scripts/postgres.sh url     the admin URL the tests use (DISPUTES_POSTGRES_ADMIN_URL)
#   scripts/postgres.sh install make sure the server binaries (initdb, pg_ctl) and psql are
#                               installed (the fault tests run a private cluster), starting nothing
#
# The tests create a database per service and per run through that URL, and drop it after.
#
# Environment (defaults in brackets):
#   POSTGRES_PORT [5432]          POSTGRES_START_TIMEOUT [60] (seconds)
#   POSTGRES_DATA_DIR [var/postgres]  our own cluster's files (a private temporary
#                                 directory instead when the `postgres` user cannot reach it)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

HOST=127.0.0.1
PORT="${POSTGRES_PORT:-5432}"
START_TIMEOUT="${POSTGRES_START_TIMEOUT:-60}"
RUN_DIR="$REPO_ROOT/var/run"
# One marker per port: a second cluster (say, a test of this script) never takes the first's.
MARKER="$RUN_DIR/postgres-$PORT.started"
LOCK="$RUN_DIR/postgres-$PORT.lock"
ADMIN_URL="postgresql://postgres@$HOST:$PORT/postgres"

log() { printf 'postgres: %s\n' "$*"; }
die() { printf 'postgres: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/lib/debian.sh
. "$REPO_ROOT/scripts/lib/debian.sh"

answering() { timeout 2 bash -c "</dev/tcp/$HOST/$PORT" >/dev/null 2>&1; }

marker_get() { sed -n "s/^$1=//p" "$MARKER" 2>/dev/null | head -n1; }

# The newest installed server's binaries (initdb, pg_ctl, postgres), if any.
find_pg_bin() {
    local dir
    dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n1)"
    [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]] || return 1
    echo "$dir"
}

ensure_installed() {
    find_pg_bin >/dev/null && command -v psql >/dev/null && return 0
    # The package may start a cluster of its own through its init script; we start ours
    # with pg_ctl and leave any other alone.
    apt_install postgresql postgresql-client
    find_pg_bin >/dev/null || die "PostgreSQL server binaries still not found after install"
}

# Run a command as the cluster's owner: PostgreSQL refuses to run as root.
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# PID is a live postgres server process running on DATA_DIR.
is_our_postmaster() {
    local pid=$1 data=$2
    [[ "$pid" =~ ^[0-9]+$ && -d "/proc/$pid" ]] || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == postgres ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-D $data"
}

ours_running() {
    [[ -f "$MARKER" ]] && is_our_postmaster "$(marker_get pid)" "$(marker_get data_dir)"
}

take_lock() {
    mkdir -p "$RUN_DIR"
    command -v flock >/dev/null 2>&1 || return 0
    exec 9>"$LOCK"
    flock -w 300 9 || die "could not lock $LOCK within 300 s"
}

# Where our cluster lives: var/postgres when the owner can reach it, else a private temp dir
# (removed again by `stop`). Sets DATA and TEMPORARY.
choose_data_dir() {
    DATA="${POSTGRES_DATA_DIR:-$REPO_ROOT/var/postgres}"
    TEMPORARY=0
    mkdir -p "$DATA"
    if [[ "$(id -u)" == 0 ]]; then
        chown postgres: "$DATA"
        if ! runuser -u postgres -- test -w "$DATA"; then
            DATA="$(mktemp -d "${TMPDIR:-/tmp}/disputes-postgres.XXXXXX")"
            TEMPORARY=1
            chown postgres: "$DATA"
        fi
    fi
}

start_own() {
    ensure_installed
    local bin data pid
    bin="$(find_pg_bin)"
    choose_data_dir
    data="$DATA"
    if [[ ! -s "$data/PG_VERSION" ]]; then
        log "creating a cluster in $data ($("$bin/postgres" --version))"
        # Trust, from loopback only: a throwaway cluster for tests, reached by nothing else.
        as_owner "$bin/initdb" -D "$data" --username=postgres --auth=trust --encoding=UTF8 \
            --locale=C.UTF-8 >"$data.initdb.log" 2>&1 || { cat "$data.initdb.log" >&2; die "initdb failed"; }
    fi
    log "starting our own PostgreSQL on $HOST:$PORT (data in $data)"
    # -w: wait until it accepts connections. Sockets in the data directory, so nothing
    # needs /var/run/postgresql. 9>&-: the server must not hold our lock.
    if ! as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t "$START_TIMEOUT" \
        -o "-c listen_addresses=$HOST -p $PORT -k $data" start </dev/null >/dev/null 9>&-; then
        tail -n 30 "$data/server.log" >&2 || true
        die "PostgreSQL did not start"
    fi
    pid="$(head -n1 "$data/postmaster.pid")"
    is_our_postmaster "$pid" "$data" || die "started, but PID $pid is not our server"
    cat >"$MARKER.tmp" <<EOF
pid=$pid
data_dir=$data
temporary=$TEMPORARY
bin=$bin
port=$PORT
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
    mv -f "$MARKER.tmp" "$MARKER"
    log "PostgreSQL up: $ADMIN_URL (pid $pid)"
}

stop_own() {
    local pid data bin
    pid="$(marker_get pid)"
    data="$(marker_get data_dir)"
    bin="$(marker_get bin)"
    if is_our_postmaster "$pid" "$data"; then
        log "stopping our PostgreSQL (pid $pid)"
        as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 || {
            kill -INT "$pid" 2>/dev/null || true # fast shutdown, by PID
            for _ in $(seq 60); do is_our_postmaster "$pid" "$data" || break; sleep 1; done
        }
    else
        log "our PostgreSQL is not running any more"
    fi
    if [[ "$(marker_get temporary)" == 1 && -n "$data" ]] && ! is_our_postmaster "$pid" "$data"; then
        rm -rf -- "$data" "$data.initdb.log"
    fi
    rm -f "$MARKER"
}

can_admin() {
    command -v psql >/dev/null 2>&1 || return 1
    psql "$ADMIN_URL" -XtAq -c "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user" \
        2>/dev/null | grep -qx t
}

cmd_start() {
    take_lock
    if [[ -f "$MARKER" ]] && ! ours_running; then
        log "our PostgreSQL (${MARKER#"$REPO_ROOT"/}) is gone; cleaning up"
        rm -f "$MARKER"
    fi
    if answering; then
        if [[ -f "$MARKER" ]]; then
            log "our PostgreSQL is already running on $HOST:$PORT"
        else
            log "a PostgreSQL we did not start answers on $HOST:$PORT; using it"
            command -v psql >/dev/null 2>&1 || ensure_installed
        fi
        can_admin || die "cannot log in as postgres with the right to create databases: $ADMIN_URL"
        return 0
    fi
    start_own
    can_admin || die "our PostgreSQL does not let postgres create databases"
}

# The binaries only, whether or not a server answers (one in a container, say): the
# package's own cluster is kept from starting, so it never competes for the port in use.
cmd_install() {
    take_lock
    APT_NO_SERVICES=1 ensure_installed
    log "PostgreSQL server binaries ($(find_pg_bin)) and psql are installed"
}

cmd_stop() {
    take_lock
    if [[ ! -f "$MARKER" ]]; then
        log "no PostgreSQL started by scripts/postgres.sh; nothing to stop"
        return 0
    fi
    stop_own
    log "stopped"
}

cmd_status() {
    local rc=0
    if answering; then log "$HOST:$PORT: answering"; else log "$HOST:$PORT: not answering"; rc=1; fi
    if [[ -f "$MARKER" ]]; then
        if ours_running; then log "started by scripts/postgres.sh: yes (pid $(marker_get pid))"
        else log "started by scripts/postgres.sh: stale marker"; fi
    else
        log "started by scripts/postgres.sh: no"
    fi
    return "$rc"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
url) echo "$ADMIN_URL" ;;
install) cmd_install ;;
*)
    echo "usage: $0 start|stop|status|url|install" >&2
    exit 2
    ;;
esac
