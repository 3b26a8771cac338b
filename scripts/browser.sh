#!/usr/bin/env bash
# Make sure the portal's browser tests have what they drive and check with:
# Debian's Chromium (package `chromium`), a Chinese font (fonts-wqy-microhei) and
# axe-core (npm, installed into tools/browser/node_modules when missing).
#
#   scripts/browser.sh ensure
set -euo pipefail

log() { printf 'browser: %s\n' "$*"; }
die() { printf 'browser: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/lib/debian.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/debian.sh"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
TOOLS="$REPO_ROOT/tools/browser"

ensure_chromium() {
    if [[ -x /usr/bin/chromium ]]; then
        log "$(/usr/bin/chromium --version 2>/dev/null | head -n1)"
        return 0
    fi
    APT_NO_SERVICES=1 apt_install chromium
    [[ -x /usr/bin/chromium ]] || die "chromium is still missing after the install"
}

# Without a CJK font the Chinese pages render (and screenshot) as empty boxes.
ensure_cjk_font() {
    if command -v fc-list >/dev/null 2>&1 && [[ -n "$(fc-list :lang=zh family 2>/dev/null)" ]]; then
        return 0
    fi
    apt_install fonts-wqy-microhei
}

ensure_axe() {
    if ! command -v npm >/dev/null 2>&1; then
        apt_install nodejs npm
    fi
    if [[ -f "$TOOLS/node_modules/axe-core/axe.min.js" ]]; then
        return 0
    fi
    log "installing axe-core (npm ci in tools/browser)"
    (cd "$TOOLS" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error </dev/null)
}

case "${1:-}" in
    ensure) ensure_chromium; ensure_cjk_font; ensure_axe ;;
    *) die "usage: $0 ensure" ;;
esac
