package rules

import (
	"cmp"
	"math"
	"slices"
)

// blocker is a selected strategy that blocked a candidate through the
// correlation constraint.
type blocker struct {
	// StrategyID is the selected strategy that blocked the candidate.
	StrategyID string `json:"strategy_id"`
	// Correlation is the pair's correlation.
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
	var buf [4]int
	c := buf[:0]
	if n > len(buf) {
		c = make([]int, 0, n)
	}
	for i := range e.cands {
		e.st[i].rank = -1
		if !anyBlocking(e.st[i].viol) {
			c = append(c, i)
		}
	}
	if tk := e.m.TopK; tk != nil {
		score := func(i int) float64 {
			if v, ok := e.cands[i].flat.Lookup(tk.Metric); ok {
				return v
			}
			return math.Inf(-1)
		}
		slices.SortStableFunc(c, func(a, b int) int { return cmp.Compare(score(b), score(a)) })
		for pos, i := range c {
			e.st[i].rank = pos
		}
		if k := max(tk.K, 0); len(c) > k {
			c = c[:k]
		}
		for _, i := range c {
			e.st[i].topkKept = true
		}
	} else {
		for pos, i := range c {
			e.st[i].rank = pos
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
				e.st[i].blockedBy = blocked
				continue
			}
			kept = append(kept, i)
		}
		c = kept
	}
	if h := e.m.Hysteresis; h != nil {
		kept := c[:0:0]
		for _, i := range c {
			v, ok := e.cands[i].flat.Lookup(h.Metric)
			switch {
			case !ok:
				// Dropped silently: no rule reports it (validation-core §15.10).
			case e.previouslyActive(e.cands[i].id):
				if v >= h.Exit {
					kept = append(kept, i)
				} else {
					e.st[i].hys = hysExit
				}
			default:
				if v >= h.Enter {
					kept = append(kept, i)
				} else {
					e.st[i].hys = hysEnter
				}
			}
		}
		c = kept
	}
	if e.one != nil && len(c) <= len(e.one.sel) {
		e.selected = e.one.sel[:0:len(c)]
	} else {
		e.selected = make([]string, 0, len(c))
	}
	for _, i := range c {
		e.st[i].active = true
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
