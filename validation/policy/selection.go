package policy

var (
	thresholdKeys   = []string{"metric", "min", "max"}
	topKKeys        = []string{"metric", "k"}
	correlationKeys = []string{"max"}
	hysteresisKeys  = []string{"metric", "enter", "exit"}
	selectionKeys   = []string{"thresholds", "top_k", "correlation", "hysteresis"}
)

// legacy is one set of legacy selection keys (top level or selection block).
type legacy struct {
	thresholds  []Threshold
	topK        *TopK
	correlation *Correlation
	hysteresis  *Hysteresis
}

// legacyKeys reads thresholds, top_k, correlation and hysteresis from the
// mapping n (the document root or the selection block).
func (d *decoder) legacyKeys(n *node, path string) legacy {
	var l legacy
	if t := n.get("thresholds"); !t.isNull() {
		d.each(t, childPath(path, "thresholds"), func(key string, v *node, p string) {
			if th, ok := d.threshold(key, v, p); ok {
				l.thresholds = append(l.thresholds, th)
			}
		})
	}
	if t := n.get("top_k"); !t.isNull() {
		p := childPath(path, "top_k")
		if d.object(t, p, topKKeys...) {
			tk := &TopK{Metric: d.metricName(t.get("metric"), childPath(p, "metric"))}
			kp := childPath(p, "k")
			if t.get("k").isNull() {
				d.invalid(kp, "is required")
			} else if k := d.integer(t.get("k"), kp); k != nil {
				if *k <= 0 {
					d.invalid(kp, "must be an integer > 0")
				}
				tk.K = *k
			}
			l.topK = tk
		}
	}
	if t := n.get("correlation"); !t.isNull() {
		p := childPath(path, "correlation")
		if d.object(t, p, correlationKeys...) {
			mp := childPath(p, "max")
			m := d.requiredNumber(t.get("max"), mp)
			if m < -1 || m > 1 {
				d.invalid(mp, "must be in [-1, 1]")
			}
			l.correlation = &Correlation{Max: m}
		}
	}
	if t := n.get("hysteresis"); !t.isNull() {
		p := childPath(path, "hysteresis")
		if d.object(t, p, hysteresisKeys...) {
			l.hysteresis = &Hysteresis{
				Metric: d.metricName(t.get("metric"), childPath(p, "metric")),
				Enter:  d.requiredNumber(t.get("enter"), childPath(p, "enter")),
				Exit:   d.requiredNumber(t.get("exit"), childPath(p, "exit")),
			}
		}
	}
	return l
}

func (d *decoder) threshold(key string, n *node, path string) (Threshold, bool) {
	if !d.object(n, path, thresholdKeys...) {
		return Threshold{}, false
	}
	return Threshold{
		Key:    key,
		Metric: d.metricName(n.get("metric"), childPath(path, "metric")),
		Min:    d.number(n.get("min"), childPath(path, "min")),
		Max:    d.number(n.get("max"), childPath(path, "max")),
	}, true
}

// mergeLegacy applies QMTL's selection normalization (validation-core §6.1):
// thresholds are the selection entries followed by the top-level-only ones,
// a top-level entry replacing a selection entry of the same key in place; for
// top_k, correlation and hysteresis the selection block wins.
func mergeLegacy(top, sel legacy) legacy {
	out := legacy{thresholds: append([]Threshold(nil), sel.thresholds...)}
	for _, t := range top.thresholds {
		out.thresholds = setThreshold(out.thresholds, t)
	}
	out.topK = sel.topK
	if out.topK == nil {
		out.topK = top.topK
	}
	out.correlation = sel.correlation
	if out.correlation == nil {
		out.correlation = top.correlation
	}
	out.hysteresis = sel.hysteresis
	if out.hysteresis == nil {
		out.hysteresis = top.hysteresis
	}
	return out
}

// setThreshold replaces the entry with t's key in place, or appends t.
func setThreshold(ts []Threshold, t Threshold) []Threshold {
	for i := range ts {
		if ts[i].Key == t.Key {
			ts[i] = t
			return ts
		}
	}
	return append(ts, t)
}
