package kurrentdb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"carecoord/pkg/eventstore"
)

// Positions: see the package documentation. A carecoord position is the log
// offset shifted left by posShift; the low bits are zero for an event and mean
// "just after" otherwise.
const (
	posShift = 8
	posLow   = 1<<posShift - 1
)

// unknownPosition is what the server sends for an event whose log position it
// does not know (old servers on stream reads).
const unknownPosition = math.MaxUint64

// fromLog is the carecoord position of the event at log offset off.
func fromLog(off uint64) eventstore.Position {
	if off == unknownPosition {
		return 0
	}
	return eventstore.Position(off << posShift)
}

// toLog splits p into a log offset and whether p is exactly at it (false: p
// is just after the event at off).
func toLog(p eventstore.Position) (off uint64, exact bool) {
	return uint64(p) >> posShift, uint64(p)&posLow == 0
}

// logPos is the client's position for a log offset; commit and prepare
// positions are equal for the self-committed records every append writes.
func logPos(off uint64) esdb.Position { return esdb.Position{Commit: off, Prepare: off} }

// allFrom is the position to start a $all read or subscription at offset off
// (Start when off is 0). Never nil: a nil From means End to subscriptions.
func allFrom(off uint64) esdb.AllPosition {
	if off == 0 {
		return esdb.Start{}
	}
	return logPos(off)
}

// recordedPosition is the carecoord position of a recorded event.
func recordedPosition(ev *esdb.RecordedEvent) eventstore.Position {
	return fromLog(ev.Position.Commit)
}

// toExpected maps the contract's expectation onto the client's. It never
// returns nil, because the client turns a nil expectation into Any.
func toExpected(e eventstore.ExpectedRevision) esdb.ExpectedRevision {
	if rev, ok := e.Revision(); ok {
		return esdb.Revision(rev)
	}
	switch {
	case e.IsNoStream():
		return esdb.NoStream{}
	case e.IsStreamExists():
		return esdb.StreamExists{}
	default:
		return esdb.Any{}
	}
}

// encodeMetadata is the event metadata as stored: the contract's Metadata as
// JSON.
func encodeMetadata(m eventstore.Metadata) ([]byte, error) {
	return json.Marshal(m)
}

// decodeMetadata reads metadata written by encodeMetadata. Events written by
// other tools may carry no or other metadata; they read as empty metadata
// rather than failing a read of $all.
func decodeMetadata(b []byte) eventstore.Metadata {
	var m eventstore.Metadata
	if len(bytes.TrimSpace(b)) == 0 {
		return m
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return eventstore.Metadata{}
	}
	return m
}

// toEventData is the client's form of an event to append. The ID is passed
// through as the server's event ID, which is what its idempotency keys on.
func toEventData(i int, ev eventstore.EventData) (esdb.EventData, error) {
	meta, err := encodeMetadata(ev.Metadata)
	if err != nil {
		return esdb.EventData{}, &eventstore.InvalidEventError{Reason: fmt.Sprintf("event %d metadata: %v", i, err)}
	}
	return esdb.EventData{
		EventID:     ev.ID,
		EventType:   ev.Type,
		ContentType: esdb.ContentTypeJson,
		Data:        ev.Data,
		Metadata:    meta,
	}, nil
}

// toRecorded is the contract's form of a recorded event.
func toRecorded(ev *esdb.RecordedEvent) eventstore.RecordedEvent {
	return eventstore.RecordedEvent{
		ID:         ev.EventID,
		Stream:     ev.StreamID,
		Type:       ev.EventType,
		Data:       ev.Data,
		Metadata:   decodeMetadata(ev.UserMetadata),
		Revision:   ev.EventNumber,
		Position:   recordedPosition(ev),
		RecordedAt: ev.CreatedDate,
	}
}

// serverStreamPrefixes start the names of streams the server writes for
// itself (besides "$$" metadata streams), whatever their event types.
var serverStreamPrefixes = []string{
	"$projections-",
	"$stats-",
	"$scavenges",
	"$users",
	"$user-",
	"$settings",
	"$persistentsubscription",
	"$persistentSubscription",
	"$epoch-information",
	"$ce-",
	"$et-",
	"$bc-",
	"$category-",
	"$streams",
}

// isServerEvent reports whether an event is one of the server's own records,
// which ReadAll and subscriptions skip (see the package documentation).
func isServerEvent(stream, eventType string) bool {
	if strings.HasPrefix(eventType, "$") || strings.HasPrefix(stream, "$$") {
		return true
	}
	for _, p := range serverStreamPrefixes {
		if strings.HasPrefix(stream, p) {
			return true
		}
	}
	return false
}

// nonSystemStreamRegex selects streams that do not start with "$": the
// server-side form of the zero filter.
const nonSystemStreamRegex = `^[^$]`

// serverFilter is the part of f the server applies. Event types go to the
// server when present (as an anchored alternation: the server's regex match is
// unanchored and prefixes would let "x.Y.v1" match "x.Y.v10"); otherwise
// stream prefixes; the zero filter excludes "$" streams. Whatever the server
// does not apply is applied by the subscription with Filter.Matches.
func serverFilter(f eventstore.Filter) *esdb.SubscriptionFilter {
	switch {
	case len(f.EventTypes) > 0:
		return &esdb.SubscriptionFilter{Type: esdb.EventFilterType, Regex: eventTypeRegex(f.EventTypes)}
	case len(f.StreamPrefixes) > 0:
		return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: slices.Clone(f.StreamPrefixes)}
	default:
		return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Regex: nonSystemStreamRegex}
	}
}

// eventTypeRegex matches exactly the given event types. regexp.QuoteMeta
// escapes only characters that .NET regular expressions (the server's) escape
// the same way.
func eventTypeRegex(types []string) string {
	quoted := make([]string, 0, len(types))
	for _, t := range types {
		quoted = append(quoted, regexp.QuoteMeta(t))
	}
	slices.Sort(quoted)
	quoted = slices.Compact(quoted)
	return "^(?:" + strings.Join(quoted, "|") + ")$"
}

// Server checkpoint settings. The server sends a checkpoint every
// window*multiplier events it has looked at; window is also how many events
// one of its reads may look at, so it is kept between minWindow (small windows
// make catching up slow) and maxWindow.
const (
	minWindow = 32
	maxWindow = 4096
)

// checkpointSettings picks the server's search window and checkpoint
// multiplier for a checkpoint interval of n events: a checkpoint at least every
// n events looked at when n >= minWindow, every minWindow events otherwise.
func checkpointSettings(n int) (window, multiplier int) {
	window = min(max(n, minWindow), maxWindow)
	multiplier = max(1, n/window)
	return window, multiplier
}
