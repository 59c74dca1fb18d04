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
    command -v python3 >/dev/null 2>&1 || { echo "the tests need python3 (3.9 or later)" >&2; return 1; }
    echo "==> installing the Python tools of $requirements into $venv" >&2
    [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    touch "$stamp"
}
