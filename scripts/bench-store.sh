#!/usr/bin/env bash
# bench-store: the event store benchmark (pkg/eventstore/benchstore) against the
# embedded store and PostgreSQL. It starts a throwaway PostgreSQL server on
# 127.0.0.1 (fsync=on, synchronous_commit=on) with its data under the repo's
# .bench/, runs the benchmark against it, and always stops the server and
# removes its data. Arguments go to the benchmark, e.g.
#
#   scripts/bench-store.sh -duration 30s
#   scripts/bench-store.sh -short            # smoke run, numbers not comparable
#   scripts/bench-store.sh -cpuprofile cpu.prof
#
# PostgreSQL comes from Debian's postgresql package, installed if missing (as
# root). Only loopback traffic.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

pg_bindir() {
	local d
	# The newest version; the pattern stays unexpanded when none is installed.
	d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	if [[ -n $d && -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]]; then
		echo "$d"
	fi
}

pgbin=$(pg_bindir)
if [[ -z $pgbin ]]; then
	if [[ $EUID -ne 0 ]]; then
		echo "bench-store: PostgreSQL server binaries not found; install them: apt-get install -y postgresql" >&2
		exit 1
	fi
	echo "bench-store: installing PostgreSQL (Debian package postgresql)" >&2
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
	pgbin=$(pg_bindir)
	if [[ -z $pgbin ]]; then
		echo "bench-store: installed postgresql but found no initdb under /usr/lib/postgresql/*/bin" >&2
		exit 1
	fi
fi

mkdir -p "$repo/.bench"
fstype=$(stat -f -c %T "$repo/.bench")
if [[ $fstype == tmpfs || $fstype == ramfs ]]; then
	echo "bench-store: $repo/.bench is on $fstype: fsync numbers would be meaningless" >&2
	exit 1
fi

work=$(mktemp -d "$repo/.bench/pg-XXXXXX")
pgdata=$work/data

# PostgreSQL refuses to run as root: as root, run it as the postgres user.
as_pg() {
	if [[ $EUID -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cleanup() {
	local status=$?
	trap - EXIT INT TERM
	if [[ -f $pgdata/postmaster.pid ]]; then
		as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w -t 30 stop >/dev/null 2>&1 ||
			as_pg "$pgbin/pg_ctl" -D "$pgdata" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ $EUID -eq 0 ]]; then
	chown postgres: "$work"
	if ! runuser -u postgres -- test -w "$work"; then
		echo "bench-store: the postgres user cannot write $work (a parent directory is closed to it)" >&2
		exit 1
	fi
fi

# --no-sync only skips initdb's own final flush of the new cluster; the server
# below runs with fsync on.
if ! as_pg "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust --encoding=UTF8 --no-locale --no-sync >"$work/initdb.log" 2>&1; then
	cat "$work/initdb.log" >&2
	exit 1
fi
cat >>"$pgdata/postgresql.conf" <<EOF

# bench-store
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work'
max_connections = 200
fsync = on
synchronous_commit = on
full_page_writes = on
EOF

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

started=
for _ in 1 2 3 4 5 6 7 8 9 10; do
	port=$((20000 + RANDOM % 40000))
	if port_in_use "$port"; then
		continue
	fi
	if as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$work/server.log" -o "-c port=$port" -w -t 60 start >/dev/null; then
		started=1
		break
	fi
	rm -f "$pgdata/postmaster.pid"
done
if [[ -z $started ]]; then
	echo "bench-store: could not start PostgreSQL" >&2
	cat "$work/server.log" >&2 || true
	exit 1
fi
"$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30

go run ./pkg/eventstore/benchstore -pg-dsn "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable" "$@"
