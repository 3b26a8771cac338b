# Installing what the project needs from Debian's packages, for the scripts that source this.
# The sourcing script defines log() and die().

# Run a command as root: directly, or through a sudo that asks for no password.
as_root() {
    if [[ "$(id -u)" == 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        die "need root to run: $*"
    fi
}

# apt_install PACKAGE...   (no recommends; with APT_NO_SERVICES=1 a policy-rc.d keeps the
# packages' own services from starting during the install.) 9>&-: whatever the install starts
# must not inherit a lock the calling script holds on descriptor 9.
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* by hand"
    local policy=/usr/sbin/policy-rc.d placed=0 rc=0
    if [[ "${APT_NO_SERVICES:-0}" == 1 && ! -e "$policy" ]]; then
        # 101: "action not allowed": invoke-rc.d starts no service.
        as_root sh -c "printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy"
        placed=1
    fi
    log "installing $* (apt-get)"
    {
        as_root apt-get update -qq &&
            as_root env DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -qq --no-install-recommends "$@"
    } </dev/null 9>&- || rc=$?
    if ((placed)); then as_root rm -f "$policy"; fi
    ((rc == 0)) || die "apt-get install $* failed"
}
