# Sourced by the scripts that need Debian packages:
#   ensure_debian_packages PACKAGE...
# installs the missing ones as root (apt-get, no recommends) and otherwise
# prints the apt-get line and exits 1. Uses the caller's `say`.
ensure_debian_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    if [[ $(id -u) == 0 ]]; then
        say "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    else
        echo "missing Debian packages: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
}
