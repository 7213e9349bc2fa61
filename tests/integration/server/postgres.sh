#!/bin/sh
# A private PostgreSQL cluster for the server tests, on loopback, in a folder of its own.
#
#   sh postgres.sh install          install Debian's postgresql when initdb is missing (needs root)
#   sh postgres.sh start DIR        initdb in DIR, start on 127.0.0.1 on a free port; prints the port
#   sh postgres.sh stop DIR         stop the cluster (DIR can then be removed)
#
# Local test use only: trust authentication, listening on 127.0.0.1 only, fsync off.
# As root the cluster runs as the `postgres` user (PostgreSQL refuses to run as root).
set -eu

bindir() {
    for d in /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
    done
    command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return 0
    return 1
}

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
install)
    if bindir >/dev/null; then exit 0; fi
    if [ "$(id -u)" != 0 ]; then
        echo "postgresql is not installed and this is not root: apt-get install postgresql" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    # Debian starts a main cluster on port 5432; the tests use their own and do not need it.
    ;;
start)
    dir=$2
    bin=$(bindir)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; chmod 700 "$dir"; fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "$port"
    ;;
stop)
    dir=$2
    bin=$(bindir)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: $0 install | start DIR | stop DIR" >&2
    exit 2
    ;;
esac
