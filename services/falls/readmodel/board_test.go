package readmodel_test

import (
	"context"
	"testing"
	"time"

	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/services/falls/domain"
	"carecoord/services/falls/readmodel"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func delivery(stream string, rev uint64, pos eventstore.Position) context.Context {
	return eventbus.WithDelivery(context.Background(), eventbus.Delivery{EventID: "e", Stream: stream, Revision: rev, Position: pos})
}

func TestBoard_redelivered_events_are_applied_once(t *testing.T) {
	b := readmodel.NewBoard()
	rep := &domain.FallReported{IncidentID: "i1", Source: domain.SourceTelecare, AlertedAt: t0, Locality: "leek"}
	tri := &domain.FallTriaged{IncidentID: "i1", Injury: domain.InjuryNone, Response: domain.ResponseLevel1, TriagedAt: t0.Add(time.Minute)}
	for run := 0; run < 2; run++ {
		if err := b.OnFallReported(delivery("fallincident-i1", 0, 1), rep); err != nil {
			t.Fatal(err)
		}
		if err := b.OnFallTriaged(delivery("fallincident-i1", 1, 2), tri); err != nil {
			t.Fatal(err)
		}
	}
	i, ok := b.Incident("i1")
	if !ok || i.Status != domain.StatusQueued || len(i.Timeline) != 2 || i.Revision != 1 || b.Progress().Position() != 2 {
		t.Fatalf("after redelivery: %+v", i)
	}

	as := &domain.ResponderAssigned{ResponderID: "falls-14", AssignmentID: "a1", IncidentID: "i1", AssignedAt: t0}
	rel := &domain.ResponderReleased{ResponderID: "falls-14", AssignmentID: "a1", IncidentID: "i1", Reason: domain.ReleaseRefused,
		Refusal: &domain.Refusal{Reason: "incident-state", Message: "cannot dispatch a responder: it is closed (CLOSED)"}}
	for run := 0; run < 2; run++ {
		_ = b.OnResponderAssigned(delivery("fallresponder-falls-14", 0, 3), as)
		_ = b.OnResponderReleased(delivery("fallresponder-falls-14", 1, 4), rel)
	}
	r := b.Responder("falls-14")
	a, _ := b.Assignment("a1")
	if r.AssignmentID != "" || r.Revision != 1 || !a.Resolved() || a.Taken || a.Refusal == nil {
		t.Fatalf("unit %+v, assignment %+v", r, a)
	}
}

func TestBoard_an_event_of_an_unknown_incident_is_an_error_not_a_silent_skip(t *testing.T) {
	b := readmodel.NewBoard()
	err := b.OnFallTriaged(delivery("fallincident-x", 1, 1), &domain.FallTriaged{IncidentID: "x"})
	if err == nil {
		t.Fatal("applied an event of an incident the board never saw reported")
	}
	if err := b.OnFallTriaged(context.Background(), &domain.FallTriaged{IncidentID: "x"}); err == nil {
		t.Fatal("applied an event without a delivery")
	}
}

func TestBoard_handed_out_incidents_do_not_change_under_the_reader(t *testing.T) {
	b := readmodel.NewBoard()
	_ = b.OnFallReported(delivery("fallincident-i1", 0, 1), &domain.FallReported{IncidentID: "i1", AlertedAt: t0})
	_ = b.OnFallTriaged(delivery("fallincident-i1", 1, 2), &domain.FallTriaged{IncidentID: "i1", Response: domain.ResponseLevel1, TriagedAt: t0})
	_ = b.OnFallResponderDispatched(delivery("fallincident-i1", 2, 3), &domain.FallResponderDispatched{IncidentID: "i1", AssignmentID: "a1", ResponderID: "falls-14", DispatchedAt: t0})
	held, _ := b.Incident("i1")
	_ = b.OnFallResponderOnScene(delivery("fallincident-i1", 3, 4), &domain.FallResponderOnScene{IncidentID: "i1", AssignmentID: "a1", ArrivedAt: t0.Add(time.Hour)})
	if !held.Dispatch.ArrivedAt.IsZero() || len(held.Timeline) != 3 || held.Status != domain.StatusDispatched {
		t.Fatalf("a copy handed out changed: %+v", held)
	}
}
