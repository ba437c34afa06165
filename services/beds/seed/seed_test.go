package seed_test

import (
	"context"
	"testing"
	"time"

	"carecoord/pkg/auth"
	"carecoord/pkg/demo"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/locality"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/invariants"
	"carecoord/services/beds/readmodel"
	"carecoord/services/beds/seed"
	"carecoord/services/beds/service"
)

func head(t *testing.T, s eventstore.Store) eventstore.Position {
	evs, err := s.ReadAll(context.Background(), eventstore.End, eventstore.Backwards, 1)
	if err != nil || len(evs) == 0 {
		t.Fatalf("read head: %v", err)
	}
	return evs[0].Position
}

func TestRun_fills_every_hospital_and_is_repeat_safe(t *testing.T) {
	store, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc := service.NewForTestWith(t, service.TestOptions{Store: store})
	now := time.Now()
	ctx := context.Background()
	if err := seed.Run(ctx, svc, demo.NewPeople(7, locality.Default(), now), now); err != nil {
		t.Fatal(err)
	}
	written := head(t, store)

	// Run again, with the same people: every command repeats.
	if err := seed.Run(ctx, svc, demo.NewPeople(7, locality.Default(), now), now); err != nil {
		t.Fatal(err)
	}
	if again := head(t, store); again != written {
		t.Fatalf("a second seed wrote %d more events", again-written)
	}

	v := auth.WithViewer(ctx, auth.Viewer{Subject: "u-bm", Role: auth.BedManager})
	q := svc.App.Queries
	occ, _ := q.Occupancy(v)
	t.Logf("overall: %+v, %.1f%%", occ.Overall, occ.Overall.OccupancyPercent())
	if pct := occ.Overall.OccupancyPercent(); pct < 70 || pct > 85 {
		t.Errorf("overall occupancy %.1f%%, want 70-85%%", pct)
	}
	if occ.Overall.Reserved == 0 || occ.Overall.AwaitingClean == 0 || occ.Overall.Closed+occ.Overall.Contaminated+occ.Overall.Isolated == 0 {
		t.Errorf("the seed misses a bed state: %+v", occ.Overall)
	}
	for _, h := range occ.Hospitals {
		t.Logf("%s: %+v, %.1f%%", h.HospitalID, h.Counts, h.Counts.OccupancyPercent())
		if pct := h.Counts.OccupancyPercent(); pct < 70 || pct > 85 {
			t.Errorf("%s occupancy %.1f%%, want 70-85%%", h.HospitalID, pct)
		}
	}
	nctr, _ := q.NoCriteriaToReside(v, "")
	if len(nctr) < 5 {
		t.Errorf("%d delayed discharges, want a handful", len(nctr))
	}
	for _, s := range nctr {
		if s.NCTR.DelayReason == "" || s.DaysDelayed(now) < 0 {
			t.Errorf("delayed discharge without a reason: %+v", s.NCTR)
		}
	}
	waiting, _ := q.BedRequests(v, []domain.RequestStatus{domain.RequestPending, domain.RequestAccepted})
	priorities := map[domain.Priority]int{}
	var oldest, newest time.Duration
	for _, r := range waiting {
		priorities[r.Priority]++
		age := now.Sub(r.RaisedAt)
		if oldest == 0 || age > oldest {
			oldest = age
		}
		if newest == 0 || age < newest {
			newest = age
		}
	}
	if len(priorities) != 3 || oldest < 12*time.Hour || newest > 12*time.Hour {
		t.Errorf("waiting requests: %v priorities, ages %v to %v", priorities, newest, oldest)
	}
	declined, _ := q.BedRequests(v, []domain.RequestStatus{domain.RequestDeclined})
	if len(declined) == 0 {
		t.Error("no declined requests")
	}
	turnaround, _ := q.CleaningTurnaround(v, "")
	if turnaround.Cleans < 20 {
		t.Errorf("turnaround from %d cleans", turnaround.Cleans)
	}
	moved := svc.Views.Stays(func(s readmodel.Stay) bool { return len(s.Transfers) > 0 && s.Current() })
	if len(moved) == 0 {
		t.Error("no patient was transferred")
	}
	r, err := invariants.Check(ctx, store)
	if err != nil || !r.OK() {
		t.Fatalf("invariants: %v %s", err, r)
	}
	t.Logf("%s", r)
}
