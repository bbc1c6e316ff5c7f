package events

import "errors"

// ErrInvalidEvent reports an event that no store may accept (missing id or
// type, malformed payload, invalid text).
var ErrInvalidEvent = errors.New("invalid event")

// ErrPayloadTooLarge reports a payload above [MaxPayloadSize].
var ErrPayloadTooLarge = errors.New("event payload too large")

// ErrUnknownType reports an event type that is not in the registry.
var ErrUnknownType = errors.New("unknown event type")

// ErrInvalidStream reports a stream name that is empty, not UTF-8 or
// otherwise malformed.
var ErrInvalidStream = errors.New("invalid stream name")

// ErrChainBroken reports a stored event whose hash or link to its predecessor
// does not verify: history was altered.
var ErrChainBroken = errors.New("hash chain broken")
