# Sourced by scripts/test: the Python tools the suite drives (PyJWT, to show that tokens
# minted by another library verify), from PyPI at the versions pinned in tests/requirements.txt,
# in a virtual environment of their own under target/py.

ensure_python_tools() {
    local venv=target/py
    local stamp="$venv/.installed"
    if [ -f "$stamp" ] && [ ! tests/requirements.txt -nt "$stamp" ]; then
        return 0
    fi
    command -v python3 >/dev/null 2>&1 || { echo "the tests need python3 (3.9 or later)" >&2; return 1; }
    echo "==> installing the test suite's Python tools into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/requirements.txt
    touch "$stamp"
}
