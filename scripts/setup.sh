#!/usr/bin/env bash
# Create/refresh the development virtualenv (.venv) at the repo root.
#
# Idempotent and fast when nothing changed: the pip step is skipped while
# .venv/.setup-stamp holds the sha256 of constraints.txt, requirements-dev.txt,
# every installed pyproject.toml, the install command and the Python version.
#
# Environment:
#   PYTHON        interpreter used to create the venv (default: python3)
#   SETUP_FORCE=1 run the pip step even if the stamp matches
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO_ROOT"

PYTHON="${PYTHON:-python3}"
VENV=".venv"
VPY="$VENV/bin/python"
STAMP="$VENV/.setup-stamp"
PIP_STAMP="$VENV/.pip-upgraded"

# Editable packages, in install order (shared first: the others depend on it).
PACKAGES=(
    shared
    services/intake
    services/mediation
    services/legal_aid
    services/arbitration
    services/courts_bridge
    services/trail
    services/analytics
    services/portal
    cli
)

INSTALL_ARGS=(-c constraints.txt -r requirements-dev.txt)
for pkg in "${PACKAGES[@]}"; do
    INSTALL_ARGS+=(-e "$pkg")
done

# Never prompt, no version nag, no root warning (we may run as root in CI).
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore

log() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/lib/debian.sh
. scripts/lib/debian.sh

# --- system libraries -----------------------------------------------------------
# WeasyPrint (`disputes report --format pdf`) lays text out with Pango and HarfBuzz; the
# report's Chinese names need a CJK font. The analytics image installs the same packages.
PDF_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-wqy-microhei)
if command -v dpkg-query >/dev/null 2>&1; then
    missing=()
    for package in "${PDF_PACKAGES[@]}"; do
        [[ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" == installed ]] \
            || missing+=("$package")
    done
    if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
else
    log "not Debian: install Pango, HarfBuzz and a CJK font by hand for PDF reports"
fi

# --- inputs that decide whether pip must run --------------------------------
HASH_FILES=(constraints.txt requirements-dev.txt)
for pkg in "${PACKAGES[@]}"; do
    HASH_FILES+=("$pkg/pyproject.toml")
done
for f in "${HASH_FILES[@]}"; do
    [[ -f "$f" ]] || die "missing $f"
done

# --- virtualenv ---------------------------------------------------------------
if [[ ! -x "$VPY" ]] || ! "$VPY" -c 'import sys' >/dev/null 2>&1; then
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (set PYTHON=...)"
    "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
        || die "$PYTHON is $("$PYTHON" -V 2>&1); Python >= 3.11 is required"
    if [[ -e "$VENV" ]]; then
        log "existing $VENV is broken; recreating it"
        rm -rf "$VENV"
    fi
    log "creating $VENV with $("$PYTHON" -V 2>&1)"
    if ! "$PYTHON" -m venv "$VENV"; then
        # Debian's python3 comes without venv/ensurepip until python3-venv is installed.
        rm -rf "$VENV"
        apt_install python3-venv
        "$PYTHON" -m venv "$VENV" || die "'$PYTHON -m venv' failed even with python3-venv"
    fi
fi

if [[ ! -f "$PIP_STAMP" ]]; then
    log "upgrading pip"
    "$VPY" -m pip install --quiet --upgrade pip </dev/null
    : >"$PIP_STAMP"
fi

# --- dependencies ---------------------------------------------------------------
want="$(
    {
        sha256sum "${HASH_FILES[@]}"
        printf 'install:'
        printf ' %q' "${INSTALL_ARGS[@]}"
        printf '\n'
        "$VPY" -c 'import sys; print("python:", sys.version)'
    } | sha256sum | cut -d' ' -f1
)"
have="$(cat "$STAMP" 2>/dev/null || true)"

if [[ "$want" == "$have" && "${SETUP_FORCE:-0}" != 1 ]]; then
    log "dependencies up to date (stamp matches); skipping pip"
    exit 0
fi

log "installing dependencies and editable packages (pip)"
rm -f "$STAMP"
"$VPY" -m pip install --quiet "${INSTALL_ARGS[@]}" </dev/null
printf '%s\n' "$want" >"$STAMP.tmp"
mv -f "$STAMP.tmp" "$STAMP"
log "done ($VENV ready)"
