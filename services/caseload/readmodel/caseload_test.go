package readmodel_test

import (
	"context"
	"testing"
	"time"

	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/locality"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// deliver hands an event to the projection's handler for its type, as the
// bus would at the given stream revision and log position.
func deliver(t *testing.T, rm *readmodel.Caseload, ev domain.Event, id string, rev uint64, pos eventstore.Position) {
	t.Helper()
	ctx := eventbus.WithDelivery(context.Background(), eventbus.Delivery{EventID: "e", Type: ev.EventType(),
		Stream: domain.Category + "-" + id, Revision: rev, Position: pos, Actor: "clin-leek-1"})
	for _, h := range rm.Handlers() {
		if eventbus.Marshaler.Name(h.NewEvent()) != ev.EventType() {
			continue
		}
		p := h.NewEvent()
		copyInto(p, ev)
		if err := h.Handle(ctx, p); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no handler for %s", ev.EventType())
}

func copyInto(dst any, src domain.Event) {
	switch d := dst.(type) {
	case *domain.EpisodeOpened:
		*d = src.(domain.EpisodeOpened)
	case *domain.KeyworkerAssigned:
		*d = src.(domain.KeyworkerAssigned)
	case *domain.VisitsScheduled:
		*d = src.(domain.VisitsScheduled)
	}
}

func TestCaseload_redelivered_events_are_applied_once(t *testing.T) {
	rm := readmodel.New(locality.Default())
	open := domain.EpisodeOpened{EpisodeID: "ep", Locality: "leek", ReferralID: "r", OpenedAt: t0, Patient: domain.Patient{NHSNumber: "9434765919"}}
	kw := domain.KeyworkerAssigned{EpisodeID: "ep", Keyworker: domain.Clinician{ID: "c1", Name: "A"}, Team: "T", AssignedAt: t0}
	visits := domain.VisitsScheduled{EpisodeID: "ep", ScheduledAt: t0, Visits: []domain.ScheduledVisit{{VisitID: "v1", PlannedAt: t0, Clinician: domain.Clinician{ID: "c1", Name: "A"}}}}
	deliver(t, rm, open, "ep", 0, 1)
	deliver(t, rm, kw, "ep", 1, 2)
	deliver(t, rm, visits, "ep", 2, 3)
	// At-least-once: some events again (a handler retried after a
	// transient failure, a checkpoint written a little behind).
	deliver(t, rm, kw, "ep", 1, 2)
	deliver(t, rm, visits, "ep", 2, 3)

	ep, ok := rm.Episode("ep", t0)
	if !ok || len(ep.History) != 3 || len(ep.Visits) != 1 || ep.Status != "ALLOCATED" || ep.Version != 2 {
		t.Fatalf("%+v", ep)
	}
	if got := rm.VisitList("c1", "2026-03-02", func(string) bool { return true }, t0); len(got) != 1 {
		t.Fatalf("visit list %v", got)
	}
	if rm.Progress.Position() != 3 {
		t.Fatalf("progress %d", rm.Progress.Position())
	}
}

func TestCaseload_an_event_before_its_episode_opened_is_an_error_not_a_ghost(t *testing.T) {
	rm := readmodel.New(locality.Default())
	ctx := eventbus.WithDelivery(context.Background(), eventbus.Delivery{Stream: domain.Category + "-x", Revision: 1, Position: 9})
	for _, h := range rm.Handlers() {
		if eventbus.Marshaler.Name(h.NewEvent()) == "caseload.KeyworkerAssigned.v1" {
			if err := h.Handle(ctx, &domain.KeyworkerAssigned{EpisodeID: "x"}); err == nil {
				t.Fatal("applied an event to an episode that was never opened")
			}
		}
	}
	if _, ok := rm.Episode("x", t0); ok {
		t.Fatal("a ghost episode appeared")
	}
}

func TestCaseload_WaitForEpisode_returns_once_the_revision_is_applied(t *testing.T) {
	rm := readmodel.New(locality.Default())
	done := make(chan error, 1)
	go func() { done <- rm.WaitForEpisode(context.Background(), "ep", 1) }()
	deliver(t, rm, domain.EpisodeOpened{EpisodeID: "ep", Locality: "leek", ReferralID: "r", OpenedAt: t0, Patient: domain.Patient{NHSNumber: "9434765919"}}, "ep", 0, 1)
	select {
	case <-done:
		t.Fatal("returned before revision 1")
	case <-time.After(20 * time.Millisecond):
	}
	deliver(t, rm, domain.KeyworkerAssigned{EpisodeID: "ep", Keyworker: domain.Clinician{ID: "c", Name: "n"}, Team: "T", AssignedAt: t0}, "ep", 1, 2)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
