package handlers

import (
	"context"
	"time"
)

// RunScheduler monitors every world the live monitor knows a snapshot of,
// each on its own schedule: at once when the world is first seen, then every
// [LiveConfig].Interval. It blocks until ctx is done and returns nil then.
// A failing tick is logged and counted (LiveObserver) and tried again at
// the world's next tick; it never stops the schedule.
func (l *LiveMonitor) RunScheduler(ctx context.Context) error {
	next := map[string]time.Time{}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		if err := l.book.CatchUp(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			l.log.Warn("live monitoring: reading snapshots failed", "err", err)
		}
		now := l.now()
		wake := now.Add(l.cfg.Interval)
		for _, world := range l.book.Worlds() {
			due, seen := next[world]
			if !seen || !due.After(now) {
				if err := l.Tick(ctx, world); err != nil {
					if ctx.Err() != nil {
						return nil
					}
					l.log.Warn("live monitoring tick failed", "world", world, "err", err)
				}
				due = now.Add(l.cfg.Interval)
				next[world] = due
			}
			if due.Before(wake) {
				wake = due
			}
		}
		// New worlds are found at the next wake-up: at the latest one
		// interval away, sooner when another world is due.
		timer.Reset(max(wake.Sub(l.now()), time.Millisecond))
	}
}
