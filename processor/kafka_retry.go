package processor

import (
	"math/rand/v2"
	"time"

	"github.com/worldval/worldval/aggregates/errcode"
)

// transient reports whether a command that failed with err may succeed if
// tried again unchanged: the store was unavailable or closing, concurrent
// writes kept winning (E_CONFLICT), or something failed inside the service
// (E_INTERNAL, and any error that carries no code, such as I/O). Every
// failure the sender must fix — malformed, invalid, a conflicting
// re-submission, an unknown or unimplemented command — is permanent.
func transient(err error) bool {
	switch apiErrorOf(err).Code {
	case errcode.Conflict, errcode.Unavailable, errcode.Internal:
		return true
	}
	return false
}

// retryDelay is the wait before attempt (2, 3, …) of a transient failure:
// cfg.InitialBackoff doubling per attempt up to cfg.MaxBackoff, with ±20%
// jitter so that partitions that failed together do not retry together.
func retryDelay(cfg KafkaRetryConfig, attempt int) time.Duration {
	d := cfg.InitialBackoff
	for i := 2; i < attempt && d < cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, cfg.MaxBackoff)
	return d - d/5 + rand.N(2*d/5+1)
}
