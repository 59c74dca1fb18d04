# Sourced by scripts/test: what the end-to-end tests need, Debian's Chromium, Node.js with npm,
# and playwright-core (which drives Chromium; it never downloads a browser of its own).

ensure_chromium() {
    if [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
        return 0
    fi
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> Chromium not found; installing Debian's chromium package" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null &&
            return 0
    fi
    cat >&2 <<'MSG'
The browser tests need Debian's Chromium at /usr/bin/chromium (or set CHROMIUM to another
Chromium). Run, as root:

    apt-get update && apt-get install -y chromium
MSG
    return 1
}

ensure_node() {
    if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> Node.js or npm not found; installing Debian's nodejs and npm packages" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null &&
            return 0
    fi
    cat >&2 <<'MSG'
The browser tests need Node.js (18 or later) and npm. Run, as root:

    apt-get update && apt-get install -y nodejs npm
MSG
    return 1
}

ensure_playwright() {
    # Reinstall when the lock file changed since the last install.
    local stamp=tests/e2e/node_modules/.package-lock.json
    if [ ! -f "$stamp" ] || [ tests/e2e/package-lock.json -nt "$stamp" ]; then
        echo "==> installing playwright-core for the browser tests" >&2
        npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error >/dev/null
    fi
}
