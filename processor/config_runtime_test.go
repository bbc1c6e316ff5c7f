package processor

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestRuntimeConfigFromFileAndEnv(t *testing.T) {
	cfg, err := LoadConfig("", envMap(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Runtime.GCPercent != DefaultGCPercent || cfg.Runtime.MemoryLimit != "" {
		t.Fatalf("defaults: %+v, want gc_percent %d and no memory limit", cfg.Runtime, DefaultGCPercent)
	}
	path := writeConfig(t, "runtime:\n  gc_percent: 150\n  memory_limit: 512MiB\n  max_procs: 6\n")
	cfg, err = LoadConfig(path, envMap(map[string]string{"WORLDVAL_RUNTIME_MEMORY_LIMIT": "2GiB", "WORLDVAL_RUNTIME_MAX_PROCS": "8"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Runtime.GCPercent != 150 || cfg.Runtime.MemoryLimit != "2GiB" || cfg.Runtime.MaxProcs != 8 {
		t.Fatalf("got %+v, want the file's gc_percent 150 and the environment's 2GiB and 8 processors", cfg.Runtime)
	}
}

func TestRuntimeConfigRefusesNonsense(t *testing.T) {
	_, err := LoadConfig(writeConfig(t, "runtime:\n  gc_percent: 5\n  memory_limit: lots\n"), envMap(nil), nil)
	assertProblems(t, err,
		"runtime.gc_percent: 5 is too small (want -1 for off, or at least 10)",
		`runtime.memory_limit: "lots" is not a size (want a whole number of bytes with an optional unit B, KiB, MiB, GiB or TiB, such as 2GiB)`)
	_, err = LoadConfig(writeConfig(t, "runtime:\n  gc_percent: -1\n"), envMap(nil), nil)
	assertProblems(t, err, "runtime.gc_percent: -1 (off) needs a memory_limit, or the heap would grow without bound")
	_, err = LoadConfig("", envMap(map[string]string{"WORLDVAL_RUNTIME_MEMORY_LIMIT": "0"}), nil)
	assertProblems(t, err, `runtime.memory_limit: "0" is not positive`)
	for _, n := range []string{"-1", "5000"} {
		_, err = LoadConfig(writeConfig(t, "runtime:\n  max_procs: "+n+"\n"), envMap(nil), nil)
		assertProblems(t, err, "runtime.max_procs: "+n+" is out of range (want 1 to 1024, or 0 for the default)")
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{
		"1":                   1,
		"1073741824":          1 << 30,
		"64B":                 64,
		"3KiB":                3 << 10,
		"512MiB":              512 << 20,
		"2GiB":                2 << 30,
		" 1 TiB ":             1 << 40,
		"9223372036854775807": math.MaxInt64,
	} {
		if got, err := parseByteSize(in); err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "1.5GiB", "-1MiB", "0", "2GB", "8388608TiB", "1 2"} {
		if got, err := parseByteSize(in); err == nil {
			t.Errorf("parseByteSize(%q) = %d, want an error", in, got)
		}
	}
}

// TestRuntimeApply sets the process's collector target and memory limit,
// and leaves each alone when its runtime variable is set. It restores both.
func TestRuntimeApply(t *testing.T) {
	oldPercent := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	})
	noEnv := func(string) (string, bool) { return "", false }

	c := RuntimeConfig{GCPercent: 250, MemoryLimit: "1GiB"}
	s, err := c.Apply(noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got := debug.SetGCPercent(250); got != 250 || s.GCPercent != 250 || s.GCPercentFromEnv {
		t.Fatalf("gc percent in effect %d, reported %+v; want 250 from the configuration", got, s)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<30 || s.MemoryLimit != 1<<30 || s.MemoryLimitFromEnv {
		t.Fatalf("memory limit in effect %d, reported %+v; want 1 GiB from the configuration", got, s)
	}

	// With GOGC and GOMEMLIMIT set, what the runtime has stays.
	debug.SetGCPercent(120)
	debug.SetMemoryLimit(3 << 30)
	env := func(k string) (string, bool) {
		switch k {
		case "GOGC":
			return "120", true
		case "GOMEMLIMIT":
			return "3GiB", true
		}
		return "", false
	}
	s, err = c.Apply(env)
	if err != nil {
		t.Fatal(err)
	}
	if got := debug.SetGCPercent(120); got != 120 || s.GCPercent != 120 || !s.GCPercentFromEnv {
		t.Fatalf("gc percent in effect %d, reported %+v; want GOGC's 120 kept", got, s)
	}
	if got := debug.SetMemoryLimit(-1); got != 3<<30 || s.MemoryLimit != 3<<30 || !s.MemoryLimitFromEnv {
		t.Fatalf("memory limit in effect %d, reported %+v; want GOMEMLIMIT's 3 GiB kept", got, s)
	}

	// Without a memory limit the runtime has none.
	s, err = (&RuntimeConfig{GCPercent: DefaultGCPercent}).Apply(noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 || s.MemoryLimit != math.MaxInt64 {
		t.Fatalf("memory limit in effect %d, reported %d; want none (MaxInt64)", got, s.MemoryLimit)
	}
}

// TestRuntimeApplyMaxProcs sets the process's processors from the
// configuration, raises the runtime's own choice to MinDefaultProcs when it
// is lower and keeps it when it is not, and leaves GOMAXPROCS's alone. It
// restores the processors.
func TestRuntimeApplyMaxProcs(t *testing.T) {
	old := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(old) })
	noEnv := func(string) (string, bool) { return "", false }
	withEnv := func(k string) (string, bool) { return "2", k == "GOMAXPROCS" }
	for _, tc := range []struct {
		name        string
		runtimeHas  int
		configured  int
		env         func(string) (string, bool)
		want        int
		wantFromEnv bool
	}{
		{"configured", 2, 3, noEnv, 3, false},
		{"default on few CPUs", 2, 0, noEnv, MinDefaultProcs, false},
		{"default on many CPUs", MinDefaultProcs + 2, 0, noEnv, MinDefaultProcs + 2, false},
		{"GOMAXPROCS set", 2, 3, withEnv, 2, true},
	} {
		runtime.GOMAXPROCS(tc.runtimeHas)
		s, err := (&RuntimeConfig{GCPercent: DefaultGCPercent, MaxProcs: tc.configured}).Apply(tc.env)
		if err != nil {
			t.Fatal(err)
		}
		if got := runtime.GOMAXPROCS(0); got != tc.want || s.MaxProcs != tc.want || s.MaxProcsFromEnv != tc.wantFromEnv {
			t.Errorf("%s: GOMAXPROCS %d, reported %d (from the environment %v); want %d (%v)", tc.name, got, s.MaxProcs, s.MaxProcsFromEnv, tc.want, tc.wantFromEnv)
		}
	}
}
