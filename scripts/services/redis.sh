# Sourced by scripts/test.sh: a Redis server for the blob-store and risk-hub
# integration tests (WORLDVAL_TEST_REDIS). Installs Debian's redis-server when
# it is missing, without letting the package start the system service, then
# starts our own on loopback with scripts/redis.sh and stops it at exit.
# The port is REDIS_PORT, else the first free one from 6390 up whose state
# directory no other run holds, so that two test runs on one machine each
# get their own server (and neither stops the other's).
worldval_redis_port="${REDIS_PORT:-}"
if [ -z "$worldval_redis_port" ]; then
	worldval_redis_port=6390
	while (exec 3<>"/dev/tcp/127.0.0.1/$worldval_redis_port") 2>/dev/null ||
		[ -e "${TMPDIR:-/tmp}/worldval-redis-$worldval_redis_port" ]; do
		worldval_redis_port=$((worldval_redis_port + 1))
	done
fi
if ! command -v redis-server >/dev/null; then
	echo "redis: installing redis-server (apt-get)"
	worldval_policy_rc=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		# Keep the package's postinst from starting a system Redis.
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
		worldval_policy_rc=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null; }
	if [ -n "$worldval_policy_rc" ]; then
		rm -f /usr/sbin/policy-rc.d
	fi
fi
scripts/redis.sh start "$worldval_redis_port"
on_exit "scripts/redis.sh stop $worldval_redis_port"
export WORLDVAL_TEST_REDIS="redis://127.0.0.1:$worldval_redis_port/0"
