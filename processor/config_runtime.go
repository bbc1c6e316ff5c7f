package processor

import (
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// DefaultGCPercent is the garbage collector's target of a worldval process
// unless runtime.gc_percent or GOGC says otherwise: the heap may grow to 4×
// what is live before a collection, against Go's 2×. The service's live
// heap is mostly read models and caches, and every event a verdict makes is
// short-lived garbage; at 100 the collector took about a tenth of the CPU
// of a busy service (BENCHMARKS.md), at 300 about a third of that.
const DefaultGCPercent = 300

// MinDefaultProcs is the fewest Go processors (GOMAXPROCS) a worldval
// process runs goroutines on unless runtime.max_procs or GOMAXPROCS says
// otherwise; on more CPUs it runs on as many as the runtime gives it. The
// event store's SQLite makes system calls (writes, reads, syncs) that keep
// their processor until the runtime hands it to another thread, so with
// two, a sync or a burst of writes halves what runs the rest; four cut the
// time a goroutine waits to run at the 99th percentile from 3–4 ms to about
// 1 ms on two CPUs, for 6–10% more CPU a verdict (BENCHMARKS.md).
const MinDefaultProcs = 4

// RuntimeConfig tunes the Go runtime of the process: how much memory the
// garbage collector trades for CPU, and how many goroutines run at once.
// The runtime's own variables GOGC, GOMEMLIMIT and GOMAXPROCS, when set, win
// over these keys, so an operator who already tunes Go programs that way
// keeps doing so.
type RuntimeConfig struct {
	// GCPercent is the garbage collector's target percentage (GOGC): a
	// collection starts when the heap has grown by this percentage over
	// what the last one left live. -1 turns the proportional target off,
	// leaving only MemoryLimit. Default [DefaultGCPercent].
	GCPercent int `yaml:"gc_percent"`
	// MemoryLimit is a soft limit of the memory the Go runtime uses
	// (GOMEMLIMIT), as a number of bytes with an optional unit B, KiB,
	// MiB, GiB or TiB ("2GiB"). Near it the collector runs as often as it
	// must, whatever GCPercent says. Default: none.
	MemoryLimit string `yaml:"memory_limit"`
	// MaxProcs is how many goroutines run Go code at once (GOMAXPROCS).
	// Default (0): the runtime's own, the CPUs the process may use, but at
	// least [MinDefaultProcs].
	MaxProcs int `yaml:"max_procs"`
}

// SetDefaults fills every empty field with its default.
func (c *RuntimeConfig) SetDefaults() {
	if c.GCPercent == 0 {
		c.GCPercent = DefaultGCPercent
	}
}

// Validate reports every invalid field as a [*ConfigError] with paths
// relative to the runtime block, or returns nil.
func (c *RuntimeConfig) Validate() error {
	var v validator
	if c.GCPercent != -1 && c.GCPercent < 10 {
		v.add("gc_percent", "%d is too small (want -1 for off, or at least 10)", c.GCPercent)
	}
	limit, err := c.memoryLimit()
	if err != nil {
		v.add("memory_limit", "%v", err)
	}
	if c.GCPercent == -1 && limit == 0 {
		v.add("gc_percent", "-1 (off) needs a memory_limit, or the heap would grow without bound")
	}
	if c.MaxProcs < 0 || c.MaxProcs > maxProcsLimit {
		v.add("max_procs", "%d is out of range (want 1 to %d, or 0 for the default)", c.MaxProcs, maxProcsLimit)
	}
	return v.err()
}

// maxProcsLimit bounds runtime.max_procs: far more processors than CPUs
// only adds threads for the system to switch between.
const maxProcsLimit = 1024

// memoryLimit parses MemoryLimit; 0 means none.
func (c *RuntimeConfig) memoryLimit() (int64, error) {
	if c.MemoryLimit == "" {
		return 0, nil
	}
	return parseByteSize(c.MemoryLimit)
}

// RuntimeSettings is what [RuntimeConfig.Apply] set, for the start-up log.
type RuntimeSettings struct {
	// GCPercent is the garbage collector's target now in effect; FromEnv
	// tells it came from GOGC rather than the configuration.
	GCPercent        int
	GCPercentFromEnv bool
	// MemoryLimit is the soft memory limit now in effect, in bytes
	// (math.MaxInt64: none); MemoryLimitFromEnv tells it came from
	// GOMEMLIMIT.
	MemoryLimit        int64
	MemoryLimitFromEnv bool
	// MaxProcs is GOMAXPROCS now in effect; MaxProcsFromEnv tells it came
	// from GOMAXPROCS rather than the configuration or its default.
	MaxProcs        int
	MaxProcsFromEnv bool
}

// Apply sets the garbage collector's target, the soft memory limit and the
// number of processors of the process from c, except for each one whose
// runtime variable (GOGC, GOMEMLIMIT, GOMAXPROCS) lookupEnv finds set: the
// runtime read that at start, and it stays. A process the runtime gives
// [MinDefaultProcs] or more processors keeps the runtime's choice, which
// follows a change of the container's CPU limit. c must be valid. The
// settings are process-wide: a process running several services (tests)
// gets those of the last one applied.
func (c *RuntimeConfig) Apply(lookupEnv func(string) (string, bool)) (RuntimeSettings, error) {
	limit, err := c.memoryLimit()
	if err != nil {
		return RuntimeSettings{}, fmt.Errorf("runtime.memory_limit: %w", err)
	}
	var s RuntimeSettings
	if v, ok := lookupEnv("GOGC"); ok && v != "" {
		s.GCPercent = debug.SetGCPercent(-1) // read it back, then put it back
		debug.SetGCPercent(s.GCPercent)
		s.GCPercentFromEnv = true
	} else {
		debug.SetGCPercent(c.GCPercent)
		s.GCPercent = c.GCPercent
	}
	if v, ok := lookupEnv("GOMEMLIMIT"); ok && v != "" {
		s.MemoryLimit = debug.SetMemoryLimit(-1) // a negative value only reads it
		s.MemoryLimitFromEnv = true
	} else {
		if limit == 0 {
			limit = math.MaxInt64
		}
		debug.SetMemoryLimit(limit)
		s.MemoryLimit = limit
	}
	s.MaxProcs = runtime.GOMAXPROCS(0)
	switch v, ok := lookupEnv("GOMAXPROCS"); {
	case ok && v != "":
		s.MaxProcsFromEnv = true
	case c.MaxProcs > 0:
		runtime.GOMAXPROCS(c.MaxProcs)
		s.MaxProcs = c.MaxProcs
	case s.MaxProcs < MinDefaultProcs:
		runtime.GOMAXPROCS(MinDefaultProcs)
		s.MaxProcs = MinDefaultProcs
	}
	return s, nil
}

// parseByteSize parses a positive whole number of bytes with an optional
// unit: "1073741824", "512MiB", "2GiB".
func parseByteSize(s string) (int64, error) {
	units := [...]struct {
		suffix string
		factor int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	num, factor := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, factor = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a size (want a whole number of bytes with an optional unit B, KiB, MiB, GiB or TiB, such as 2GiB)", s)
	case n <= 0:
		return 0, fmt.Errorf("%q is not positive", s)
	case n > math.MaxInt64/factor:
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * factor, nil
}
