package processor

import (
	"log/slog"
	"net"
	"net/http"
	"time"
)

// HTTPConfig configures the HTTP API listener. Every timeout must be
// positive; an empty (zero) one takes its default.
type HTTPConfig struct {
	// Addr is the host:port the HTTP API listens on; port 0 picks a free
	// port. Default "127.0.0.1:8080".
	Addr string `yaml:"addr"`
	// ReadHeaderTimeout bounds reading a request's headers. Default 10s.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request, body included. Default
	// 30s.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds the time from the end of the request headers to the
	// end of the response. Default 60s.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout bounds how long a keep-alive connection waits for its next
	// request. Default 120s.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// once the service is asked to stop. Default 10s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// SetDefaults fills every empty field with its default.
func (c *HTTPConfig) SetDefaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	setDefaultDuration(&c.ReadHeaderTimeout, 10*time.Second)
	setDefaultDuration(&c.ReadTimeout, 30*time.Second)
	setDefaultDuration(&c.WriteTimeout, 60*time.Second)
	setDefaultDuration(&c.IdleTimeout, 120*time.Second)
	setDefaultDuration(&c.ShutdownTimeout, 10*time.Second)
}

// Validate reports every invalid field as a [*ConfigError] with paths
// relative to the http block, or returns nil.
func (c *HTTPConfig) Validate() error {
	var v validator
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		v.add("addr", "%q is not host:port", c.Addr)
	}
	for _, d := range []struct {
		key string
		val time.Duration
	}{
		{"read_header_timeout", c.ReadHeaderTimeout},
		{"read_timeout", c.ReadTimeout},
		{"write_timeout", c.WriteTimeout},
		{"idle_timeout", c.IdleTimeout},
		{"shutdown_timeout", c.ShutdownTimeout},
	} {
		if d.val <= 0 {
			v.add(d.key, "must be positive, got %s", d.val)
		}
	}
	return v.err()
}

// NewServer returns an [http.Server] that serves h with this block's
// timeouts and reports its own errors (failed accepts, TLS handshakes) to log
// at warning level; a nil log keeps net/http's default. The caller still owns
// the listener and uses ShutdownTimeout when it calls Shutdown.
func (c *HTTPConfig) NewServer(h http.Handler, log *slog.Logger) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
	}
	if log != nil {
		srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	}
	return srv
}

// setDefaultDuration sets *d to def when it is zero.
func setDefaultDuration(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}
