# Sourced by scripts/test.sh: promtool, which the tests of
# deploy/prometheus/alerts.yml run (promtool check rules, promtool test rules).
# Installs Debian's prometheus package when promtool is missing, without
# letting the package start a Prometheus server, and exports its path as
# WORLDVAL_TEST_PROMTOOL.
if ! command -v promtool >/dev/null; then
	echo "promtool: installing prometheus (apt-get)"
	worldval_policy_rc=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		# Keep the package's postinst from starting a Prometheus server.
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
		worldval_policy_rc=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null; }
	if [ -n "$worldval_policy_rc" ]; then
		rm -f /usr/sbin/policy-rc.d
	fi
fi
WORLDVAL_TEST_PROMTOOL="$(command -v promtool)"
export WORLDVAL_TEST_PROMTOOL
