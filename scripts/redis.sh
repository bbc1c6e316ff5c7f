#!/usr/bin/env bash
# A real Redis server for tests and local runs, on loopback.
#
#   scripts/redis.sh start [PORT]    start it (a no-op when it already runs) and
#                                    wait until it answers PING
#   scripts/redis.sh stop [PORT]     stop it and delete its data
#   scripts/redis.sh status [PORT]   say whether it runs and answers (exit 1 if not)
#
# PORT defaults to $REDIS_PORT, else 6390 (not 6379, so that a system Redis is
# left alone). The server is Debian's redis-server (apt-get install
# redis-server; scripts/services/redis.sh installs it when missing). Its state —
# pid file, log and an append-only file, so blobs survive a restart as they
# must in production — lives in ${TMPDIR:-/tmp}/worldval-redis-PORT, which stop
# removes.
set -euo pipefail

cmd="${1:-}"
port="${2:-${REDIS_PORT:-6390}}"
state="${TMPDIR:-/tmp}/worldval-redis-$port"
pidfile="$state/redis.pid"

say() { echo "redis.sh: $*" >&2; }

# pid prints the server's pid when its pid file names a live process.
pid() {
	[ -f "$pidfile" ] || return 1
	local p
	p="$(cat "$pidfile")"
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
	echo "$p"
}

# answers reports whether the server on port answers PING with PONG.
answers() {
	local reply
	reply="$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'PING\r\n' >&3; head -c 7 <&3" 2>/dev/null || true)"
	[[ "$reply" == "+PONG"* ]]
}

start() {
	if pid >/dev/null && answers; then
		return 0
	fi
	command -v redis-server >/dev/null || { say "redis-server not found: apt-get install redis-server"; exit 1; }
	mkdir -p "$state"
	redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
		--daemonize yes --pidfile "$pidfile" --logfile "$state/redis.log" \
		--dir "$state" --appendonly yes --save "" >/dev/null
	for _ in $(seq 1 100); do
		if answers; then
			say "Redis answers on 127.0.0.1:$port (state in $state)"
			return 0
		fi
		sleep 0.1
	done
	say "Redis did not answer on 127.0.0.1:$port; its log:"
	tail -n 20 "$state/redis.log" >&2 || true
	exit 1
}

stop() {
	local p
	if p="$(pid)"; then
		kill "$p" 2>/dev/null || true
		for _ in $(seq 1 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$p" 2>/dev/null || true
	fi
	rm -rf "$state"
}

case "$cmd" in
start) start ;;
stop) stop ;;
status)
	if pid >/dev/null && answers; then
		echo "redis on 127.0.0.1:$port: running"
	else
		echo "redis on 127.0.0.1:$port: not running"
		exit 1
	fi
	;;
*)
	echo "usage: $0 start|stop|status [PORT]" >&2
	exit 2
	;;
esac
