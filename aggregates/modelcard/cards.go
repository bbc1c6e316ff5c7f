package modelcard

import (
	"fmt"
	"time"

	"github.com/worldval/worldval/events"
)

// Card is one published model card version and when it was published.
type Card struct {
	events.ModelCardPublished
	// PublishedAt is the publication's occurred_at (UTC).
	PublishedAt time.Time
}

// Cards is the state of one strategy's model cards, folded from its stream.
// The zero Cards is a strategy without cards. Cards is a plain value: it is
// not safe for concurrent mutation, and Apply is the only method that
// changes it.
type Cards struct {
	published []Card         // in publication order
	index     map[string]int // version → position in published
	keys      map[string]int // idempotency key → position in published of the card it published
	version   uint64
}

// StrategyID returns the strategy the cards document ("" before the first).
func (c *Cards) StrategyID() string {
	if len(c.published) == 0 {
		return ""
	}
	return c.published[0].StrategyID
}

// Latest returns the most recently published card, and false when there is
// none.
func (c *Cards) Latest() (Card, bool) {
	if len(c.published) == 0 {
		return Card{}, false
	}
	return c.published[len(c.published)-1], true
}

// Card returns the card of one version, and false when the strategy has no
// such version.
func (c *Cards) Card(version string) (Card, bool) {
	i, ok := c.index[version]
	if !ok {
		return Card{}, false
	}
	return c.published[i], true
}

// All returns every published card in publication order. The slice is new;
// the cards' documents are shared and must not be modified.
func (c *Cards) All() []Card {
	return append([]Card(nil), c.published...)
}

// Version returns the stream version of the last applied event (0: none).
func (c *Cards) Version() uint64 { return c.version }

// Apply folds one stored event into the state. Unknown event types are
// skipped; a card of another strategy, or a version published twice, is an
// error.
func (c *Cards) Apply(rec *events.Record, payload any) error {
	if e, ok := payload.(*events.ModelCardPublished); ok {
		if s := c.StrategyID(); s != "" && e.StrategyID != s {
			return fmt.Errorf("model cards of %q: card of strategy %q", s, e.StrategyID)
		}
		if _, dup := c.index[e.Version]; dup {
			return fmt.Errorf("model cards of %q: version %q published twice", e.StrategyID, e.Version)
		}
		if c.index == nil {
			c.index = make(map[string]int)
		}
		c.index[e.Version] = len(c.published)
		c.published = append(c.published, Card{ModelCardPublished: *e, PublishedAt: rec.OccurredAt.UTC()})
	}
	if rec.IdempotencyKey != "" && len(c.published) > 0 {
		if c.keys == nil {
			c.keys = make(map[string]int)
		}
		c.keys[rec.IdempotencyKey] = len(c.published) - 1
	}
	c.version = rec.StreamVersion
	return nil
}
