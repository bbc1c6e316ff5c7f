package rules

import (
	"math"
	"sort"
)

// blocker is a selected strategy that blocked a candidate through the
// correlation constraint.
type blocker struct {
	StrategyID  string  `json:"strategy_id"`
	Correlation float64 `json:"correlation"`
}

// Hysteresis block modes.
const (
	hysExit  = "exit"
	hysEnter = "enter"
)

// selection runs the selection pipeline of validation-core §7.6: threshold
// survivors, then top-k, then greedy de-correlation, then hysteresis.
// Severity plays no role: any blocking threshold violation removes the
// strategy.
func (e *engine) selection() {
	n := len(e.cands)
	e.rank = make([]int, n)
	e.topkKept = make([]bool, n)
	e.blockedBy = make([][]blocker, n)
	e.hysBlocked = make([]string, n)
	e.active = make([]bool, n)
	c := make([]int, 0, n)
	for i := range e.cands {
		e.rank[i] = -1
		if !anyBlocking(e.viol[i]) {
			c = append(c, i)
		}
	}
	if tk := e.m.TopK; tk != nil {
		score := func(i int) float64 {
			if v, ok := e.cands[i].flat[tk.Metric]; ok {
				return v
			}
			return math.Inf(-1)
		}
		sort.SliceStable(c, func(a, b int) bool { return score(c[a]) > score(c[b]) })
		for pos, i := range c {
			e.rank[i] = pos
		}
		if k := max(tk.K, 0); len(c) > k {
			c = c[:k]
		}
		for _, i := range c {
			e.topkKept[i] = true
		}
	} else {
		for pos, i := range c {
			e.rank[i] = pos
		}
	}
	if cr := e.m.Correlation; cr != nil && len(e.corrs) > 0 {
		rho := e.correlationIndex()
		kept := c[:0:0]
		for _, i := range c {
			var blocked []blocker
			for _, j := range kept {
				r := rho[pairKey(e.cands[i].id, e.cands[j].id)]
				if math.Abs(r) > cr.Max {
					blocked = append(blocked, blocker{StrategyID: e.cands[j].id, Correlation: r})
				}
			}
			if blocked != nil {
				e.blockedBy[i] = blocked
				continue
			}
			kept = append(kept, i)
		}
		c = kept
	}
	if h := e.m.Hysteresis; h != nil {
		kept := c[:0:0]
		for _, i := range c {
			v, ok := e.cands[i].flat[h.Metric]
			switch {
			case !ok:
				// Dropped silently: no rule reports it (validation-core §15.10).
			case e.previouslyActive(e.cands[i].id):
				if v >= h.Exit {
					kept = append(kept, i)
				} else {
					e.hysBlocked[i] = hysExit
				}
			default:
				if v >= h.Enter {
					kept = append(kept, i)
				} else {
					e.hysBlocked[i] = hysEnter
				}
			}
		}
		c = kept
	}
	e.selected = make([]string, 0, len(c))
	for _, i := range c {
		e.active[i] = true
		e.selected = append(e.selected, e.cands[i].id)
	}
}

// pairKey orders a strategy pair lexicographically.
func pairKey(a, b string) [2]string {
	if a <= b {
		return [2]string{a, b}
	}
	return [2]string{b, a}
}

// correlationIndex maps ordered pairs to their correlation; later entries win.
func (e *engine) correlationIndex() map[[2]string]float64 {
	m := make(map[[2]string]float64, len(e.corrs))
	for _, c := range e.corrs {
		m[pairKey(c.A, c.B)] = c.Rho
	}
	return m
}

func (e *engine) previouslyActive(id string) bool {
	for _, p := range e.prev {
		if p == id {
			return true
		}
	}
	return false
}
