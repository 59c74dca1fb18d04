# Sourced by scripts/run and scripts/test: makes sure PostgreSQL's server programs are on this
# machine, because the service and the test suite start their own private cluster from them.

pg_bin_dir() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
        return 0
    fi
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
        echo "$dir"
        return 0
    fi
    return 1
}

ensure_postgres() {
    # With DATABASE_URL the caller brings its own server; nothing to install.
    if [ -n "${DATABASE_URL:-}" ] || pg_bin_dir >/dev/null; then
        return 0
    fi
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> PostgreSQL server programs not found; installing Debian's postgresql package" >&2
        # Debian would start its own cluster on port 5432; we only want the programs.
        local policy=/usr/sbin/policy-rc.d created_policy=
        if [ ! -e "$policy" ]; then
            printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        local status=$?
        [ -n "$created_policy" ] && rm -f "$policy"
        [ $status -eq 0 ] || { echo "installing postgresql failed" >&2; return 1; }
        pg_bin_dir >/dev/null && return 0
    fi
    cat >&2 <<'MSG'
PostgreSQL's server programs (initdb, pg_ctl) are not installed, and this script cannot
install them (it needs root and apt-get). Run, as root:

    apt-get update && apt-get install -y postgresql

or set DATABASE_URL to a PostgreSQL server you already have, then run this command again.
MSG
    return 1
}

# As root, PostgreSQL runs as the `postgres` user, which Debian's package creates.
ensure_postgres_user() {
    if [ -z "${DATABASE_URL:-}" ] && [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        echo "==> creating the postgres system user (PostgreSQL refuses to run as root)" >&2
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
}
