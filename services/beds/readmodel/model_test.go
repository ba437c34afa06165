package readmodel_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/hospitals"
	"carecoord/services/beds/readmodel"
)

// deliver hands the model one event as the bus would.
func deliver(t *testing.T, m *readmodel.Model, stream string, rev uint64, pos eventstore.Position, e eventbus.Event) {
	t.Helper()
	for _, h := range m.Handlers() {
		if eventbus.Marshaler.Name(h.NewEvent()) != e.EventType() {
			continue
		}
		data, _ := json.Marshal(e)
		ev := h.NewEvent()
		if err := json.Unmarshal(data, ev); err != nil {
			t.Fatal(err)
		}
		ctx := eventbus.WithDelivery(context.Background(), eventbus.Delivery{Stream: stream, Revision: rev, Position: pos})
		if err := h.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no handler for %s", e.EventType())
}

func TestModel_redelivered_events_are_applied_once(t *testing.T) {
	reg := hospitals.Default()
	m := readmodel.New(reg)
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	vacated := domain.BedVacated{BedID: "cheadle-w1-01", StayID: "s1", VacatedAt: t0}
	cleaned := domain.BedCleaned{BedID: "cheadle-w1-01", CleanedAt: t0.Add(time.Hour)}
	deliver(t, m, "bed-cheadle-w1-01", 0, 1, vacated)
	deliver(t, m, "bed-cheadle-w1-01", 1, 2, cleaned)
	// At-least-once delivery: both again.
	deliver(t, m, "bed-cheadle-w1-01", 0, 1, vacated)
	deliver(t, m, "bed-cheadle-w1-01", 1, 2, cleaned)
	b, _ := m.Bed("cheadle-w1-01")
	if b.Status != domain.Available {
		t.Fatalf("a redelivered vacate reopened the clean: %s", b.Status)
	}
	if ta := m.Turnaround("cheadle"); ta.Cleans != 1 || ta.MeanMinutes != 60 {
		t.Fatalf("turnaround %+v: a redelivered clean counted twice", ta)
	}
	if m.Position() != 2 {
		t.Fatalf("position %d", m.Position())
	}
}

func TestCounts_occupancy_leaves_closed_beds_out_of_the_base(t *testing.T) {
	c := readmodel.Counts{Total: 10, Occupied: 6, Reserved: 1, Available: 1, Closed: 1, Isolated: 1}
	if c.Open() != 8 || c.OccupancyPercent() != 75 {
		t.Fatalf("open %d, occupancy %.1f", c.Open(), c.OccupancyPercent())
	}
}
