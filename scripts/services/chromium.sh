# Sourced by scripts/test.sh: headless Chromium for the validation-report
# tests (WORLDVAL_TEST_CHROMIUM), which render the HTML report, print it to
# PDF and screenshot it. Installs Debian's chromium when it is missing; there
# is no server to start or stop.
if ! command -v chromium >/dev/null; then
	echo "chromium: installing chromium (apt-get)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
fi
export WORLDVAL_TEST_CHROMIUM="$(command -v chromium)"
