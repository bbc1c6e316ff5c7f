# Sourced by scripts/test.sh: an Apache Kafka broker for the Kafka integration
# tests (WORLDVAL_TEST_KAFKA). Installs Java 17 and Maven from Debian when they
# are missing, then starts a broker of this test run's own with
# scripts/kafka.sh (jars from Maven Central, KRaft, loopback) and stops it at
# exit. The port is KAFKA_PORT, else the first free pair from 19092 up, so
# that test runs on one machine never share (and stop) each other's broker.
if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
	echo "kafka: installing Java 17 and Maven (apt-get)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jre-headless maven >/dev/null ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jre-headless maven >/dev/null; }
fi
worldval_kafka_port="${KAFKA_PORT:-}"
if [ -z "$worldval_kafka_port" ]; then
	worldval_kafka_port=19092
	while (exec 3<>"/dev/tcp/127.0.0.1/$worldval_kafka_port") 2>/dev/null ||
		(exec 3<>"/dev/tcp/127.0.0.1/$((worldval_kafka_port + 1))") 2>/dev/null ||
		[ -e "${TMPDIR:-/tmp}/worldval-kafka-$worldval_kafka_port" ]; do
		worldval_kafka_port=$((worldval_kafka_port + 2))
	done
fi
scripts/kafka.sh start "$worldval_kafka_port"
on_exit "scripts/kafka.sh stop $worldval_kafka_port"
export WORLDVAL_TEST_KAFKA="127.0.0.1:$worldval_kafka_port"
