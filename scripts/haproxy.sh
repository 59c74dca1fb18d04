# Sourced by scripts/test: Debian's HAProxy, for the test of two instances behind a load
# balancer (tests/api/balanced.rs).

ensure_haproxy() {
    if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then
        return 0
    fi
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> HAProxy not found; installing Debian's haproxy package" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null &&
            return 0
    fi
    cat >&2 <<'MSG'
The load-balancer test needs Debian's HAProxy. Run, as root:

    apt-get update && apt-get install -y haproxy
MSG
    return 1
}
