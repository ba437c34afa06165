package audit

import (
	"context"
	"slices"
	"sync"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"

	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/projection"
)

// TrailConsumer is the audit trail's consumer name on the event bus.
const TrailConsumer = "audit.Trail"

// Trail is the audit trail read model: the audit entries of each patient,
// by NHS number. It is held in memory and rebuilt from the audit streams at
// every start.
type Trail struct {
	mu    sync.RWMutex
	byNHS map[string][]*Entry // in log order
	// next is, per audit stream, the revision after the last applied: an
	// event below it is a redelivery.
	next     map[string]uint64
	progress projection.Progress
}

// NewTrail returns an empty trail.
func NewTrail() *Trail {
	return &Trail{byNHS: map[string][]*Entry{}, next: map[string]uint64{}}
}

// Register subscribes the trail to the audit streams. Call it before the
// bus runs.
func (t *Trail) Register(bus *eventbus.Bus) error {
	return bus.AddStreamProjection(TrailConsumer, []string{StreamPrefix}, t.Handlers()...)
}

// Handlers are the trail's event handlers.
func (t *Trail) Handlers() []cqrs.GroupEventHandler {
	return []cqrs.GroupEventHandler{cqrs.NewGroupEventHandler(t.OnPatientRecordAccessed)}
}

// OnPatientRecordAccessed files an entry under each NHS number it touched.
func (t *Trail) OnPatientRecordAccessed(ctx context.Context, e *Entry) error {
	d, delivered := eventbus.DeliveryFrom(ctx)
	t.mu.Lock()
	defer t.mu.Unlock()
	if delivered {
		if next, ok := t.next[d.Stream]; ok && d.Revision < next {
			return nil
		}
		t.next[d.Stream] = d.Revision + 1
		defer t.progress.Advance(d.Position)
	}
	entry := *e
	entry.NHSNumbers = slices.Clone(e.NHSNumbers)
	for _, n := range entry.NHSNumbers {
		t.byNHS[n] = append(t.byNHS[n], &entry)
	}
	return nil
}

// For returns the entries of a patient, newest first.
func (t *Trail) For(nhsNumber string) []Entry {
	t.mu.RLock()
	list := t.byNHS[nhsNumber]
	out := make([]Entry, len(list))
	for i, e := range list {
		out[len(list)-1-i] = *e
		out[len(list)-1-i].NHSNumbers = slices.Clone(e.NHSNumbers)
	}
	t.mu.RUnlock()
	// Log order is nearly time order (entries of concurrent requests may
	// be appended a little out of it): order by time, newest first.
	slices.SortStableFunc(out, func(a, b Entry) int { return b.At.Compare(a.At) })
	return out
}

// WaitFor blocks until the trail has applied the log up to pos (an audit
// event's position) or ctx ends.
func (t *Trail) WaitFor(ctx context.Context, pos eventstore.Position) error {
	return t.progress.WaitFor(ctx, pos)
}
