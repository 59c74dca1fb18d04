# Sourced by scripts/test and scripts/fuzz: Python tools from PyPI at the versions pinned in a
# requirements file (tests/requirements.txt by default: PyJWT, to show that tokens minted by
# another library verify), in a virtual environment of their own under target/py.
#   ensure_python_tools [requirements file]

ensure_python_tools() {
    local requirements="${1:-tests/requirements.txt}"
    local venv=target/py
    local stamp
    stamp="$venv/.installed-$(basename "$requirements")"
    if [ -f "$stamp" ] && [ ! "$requirements" -nt "$stamp" ] && [ ! tests/requirements.txt -nt "$stamp" ]; then
        return 0
    fi
    echo "==> installing the Python tools of $requirements into $venv" >&2
    if [ ! -x "$venv/bin/pip" ]; then
        rm -rf "$venv"
        # Debian's python3 comes without `venv` (and ensurepip): install it when we can.
        if ! python3 -m venv "$venv" >/dev/null 2>&1; then
            rm -rf "$venv"
            if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
                echo "==> Python's venv module not found; installing Debian's python3-venv" >&2
                DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
                    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
                python3 -m venv "$venv"
            else
                cat >&2 <<'MSG'
The tests need Python 3.9 or later with its venv module. Run, as root:

    apt-get update && apt-get install -y python3 python3-venv
MSG
                return 1
            fi
        fi
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    touch "$stamp"
}
