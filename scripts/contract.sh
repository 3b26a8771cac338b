#!/usr/bin/env bash
# The published event contract (docs/contract): regenerate it, or check it as CI does.
#
#   scripts/contract.sh write   regenerate docs/contract from the schemas in shared/
#   scripts/contract.sh check   fail if the committed files differ from what the schemas
#                               generate or break the published versions; validate every
#                               JSON Schema against the Draft 2020-12 metaschema and the
#                               AsyncAPI document with the AsyncAPI parser (npm, installed
#                               into tools/contract/node_modules when missing)
#
# Node.js is installed with apt-get when missing (Debian, as root).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO_ROOT"

CONTRACT=docs/contract
TOOLS=tools/contract
VPY=.venv/bin/python

log() { printf 'contract: %s\n' "$*"; }
die() { printf 'contract: error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/lib/debian.sh
. scripts/lib/debian.sh

ensure_node() {
    if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
        return
    fi
    apt_install nodejs npm
}

ensure_tools() {
    ensure_node
    local stamp="$TOOLS/node_modules/.lock-sha256"
    local want
    want="$(sha256sum "$TOOLS/package-lock.json" | cut -d' ' -f1)"
    if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
        log "installing the AsyncAPI parser (npm ci in $TOOLS)"
        # No install scripts: the validator needs none, and one of its dependencies phones home.
        (cd "$TOOLS" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error </dev/null)
        printf '%s\n' "$want" >"$stamp"
    fi
}

case "${1:-}" in
    write)
        scripts/setup.sh >/dev/null
        "$VPY" "$TOOLS/contract.py" write "$CONTRACT"
        ;;
    check)
        scripts/setup.sh >/dev/null
        "$VPY" "$TOOLS/contract.py" check "$CONTRACT"
        ensure_tools
        node "$TOOLS/validate.mjs" "$CONTRACT/asyncapi.yaml"
        ;;
    *)
        echo "usage: scripts/contract.sh write|check" >&2
        exit 2
        ;;
esac
