package readmodel

import "time"

// TimelineEntry is one of the beds service's events about a patient, as a
// short non-clinical phrase ("Admitted to Haywood Hospital, Ward 1").
type TimelineEntry struct {
	At      time.Time
	Type    string
	Summary string
	// RefID is the bed request or stay the entry is about.
	RefID string
}

// Timeline lists the beds service's entries for a patient (by NHS number)
// in time order.
func (m *Model) Timeline(nhsNumber string) []TimelineEntry {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return append([]TimelineEntry(nil), m.timeline[nhsNumber]...)
}

// addTimeline inserts in time order: business times can arrive out of order
// (an admission recorded after the fact).
func (m *Model) addTimeline(nhsNumber string, e TimelineEntry) {
	if nhsNumber == "" {
		return
	}
	t := append(m.timeline[nhsNumber], e)
	for i := len(t) - 1; i > 0 && t[i].At.Before(t[i-1].At); i-- {
		t[i], t[i-1] = t[i-1], t[i]
	}
	m.timeline[nhsNumber] = t
}
