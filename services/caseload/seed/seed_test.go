package seed_test

import (
	"context"
	"testing"
	"time"

	"carecoord/pkg/demo"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/locality"
	"carecoord/services/caseload/seed"
	"carecoord/services/caseload/service"
)

func countEvents(t *testing.T, s eventstore.Store) int {
	t.Helper()
	evs, err := s.ReadAll(context.Background(), eventstore.Start, eventstore.Forwards, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func waitCaughtUp(t *testing.T, svc *service.Service) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for svc.CaughtUp() != nil {
		if time.Now().After(deadline) {
			t.Fatal(svc.CaughtUp())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRun_seeds_every_locality_through_the_commands_and_twice_is_once(t *testing.T) {
	now := time.Date(2026, 3, 4, 8, 30, 0, 0, time.UTC)
	svc := service.NewForTest(t, service.WithClock(func() time.Time { return now }))
	reg := locality.Default()
	if err := seed.Run(context.Background(), svc, demo.NewPeople(42, reg, now), now); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, svc)
	first := countEvents(t, svc.Store)

	total, admitted, overdueVisits, dueToday, overdueReviews, awaiting := 0, 0, 0, 0, 0, 0
	for _, l := range reg.All() {
		s := svc.ReadModel.Summary(string(l.ID), now)
		every := svc.ReadModel.LocalityEpisodes(string(l.ID), []string{"AWAITING_ALLOCATION", "ALLOCATED", "ACTIVE", "UNDER_REVIEW", "SUSPENDED", "DISCHARGED", "TRANSFERRED", "DECEASED"}, now)
		if len(every) < 12 || len(every) > 22 || s.Size < 5 {
			t.Errorf("%s has %d episodes, %d open", l.ID, len(every), s.Size)
		}
		total += s.Size
		admitted += s.PatientsAdmitted
		overdueVisits += s.VisitsOverdue
		dueToday += s.VisitsDueToday
		overdueReviews += s.ReviewsOverdue
		awaiting += s.AwaitingAllocation
		for _, k := range svc.ReadModel.KeyworkerCaseload(string(l.ID), now)[1:] {
			if k.Keyworker.ID[:5] != "clin-" {
				t.Errorf("keyworker %v", k.Keyworker)
			}
		}
	}
	mdts := 0
	for _, ep := range svc.ReadModel.LocalityEpisodes("leek", []string{"ACTIVE", "UNDER_REVIEW"}, now) {
		mdts += len(ep.Discussions)
	}
	t.Logf("%d events; %d open episodes; %d admitted, %d awaiting a keyworker; visits due today %d, overdue %d; reviews overdue %d; Leek MDT discussions %d",
		first, total, admitted, awaiting, dueToday, overdueVisits, overdueReviews, mdts)
	if total < 200 || admitted == 0 || overdueVisits == 0 || dueToday == 0 || overdueReviews == 0 || awaiting == 0 || mdts == 0 {
		t.Fatal("the demo data lacks something a team lead looks at")
	}

	// Again, with the same people: nothing new.
	if err := seed.Run(context.Background(), svc, demo.NewPeople(42, reg, now), now); err != nil {
		t.Fatal(err)
	}
	waitCaughtUp(t, svc)
	if again := countEvents(t, svc.Store); again != first {
		t.Fatalf("a second run wrote %d events", again-first)
	}
}
