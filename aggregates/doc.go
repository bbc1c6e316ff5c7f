// Package aggregates is the repository of worldval's aggregates: it owns the
// transaction between an aggregate's decision and the event store. [Update]
// loads a stream, folds it into the aggregate's state, lets the caller decide,
// and appends the decided events with the stream version it read, retrying
// the whole decision when another writer got there first; [Load] folds a
// stream for readers.
//
// The aggregates themselves live in sub-packages (evaluationrun, worldpolicy)
// as plain values: Apply folds history, command methods return events or an
// [errcode.Error]. They never do I/O, read clocks or draw random ids. Only
// this package talks to the store: it is why aggregates imports eventstore,
// which the architecture's layout table does not list for aggregate code; the
// aggregate packages themselves import only events and validation.
package aggregates
