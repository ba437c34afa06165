package eventstore

import "strings"

// SystemStreamPrefix starts the names of the store's own streams (parked
// events, replays, audit). A filter delivers them only when one of its stream
// prefixes starts with it, so that a subscriber to "all events of type X" never
// sees another consumer's parked copies.
const SystemStreamPrefix = "$"

// Filter selects events for a subscription. An event matches when its type is
// one of EventTypes (or EventTypes is empty) and its stream starts with one of
// StreamPrefixes (or StreamPrefixes is empty).
type Filter struct {
	EventTypes     []string
	StreamPrefixes []string
}

// Matches applies the filter to one event.
func (f Filter) Matches(stream, eventType string) bool {
	if len(f.EventTypes) > 0 {
		ok := false
		for _, t := range f.EventTypes {
			if t == eventType {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(f.StreamPrefixes) == 0 {
		return !strings.HasPrefix(stream, SystemStreamPrefix)
	}
	for _, p := range f.StreamPrefixes {
		if strings.HasPrefix(stream, p) {
			return true
		}
	}
	return false
}

// IsZero reports whether the filter matches every non-system event.
func (f Filter) IsZero() bool { return len(f.EventTypes) == 0 && len(f.StreamPrefixes) == 0 }
