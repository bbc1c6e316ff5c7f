//go:build !race

package processor

// raceDetector reports whether the tests run with the race detector, which
// makes the Kafka load tests several times slower, so they run smaller.
const raceDetector = false
