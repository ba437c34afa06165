package seed_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"carecoord/pkg/auth"
	"carecoord/pkg/demo"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/locality"
	"carecoord/services/falls/app"
	"carecoord/services/falls/domain"
	"carecoord/services/falls/seed"
	"carecoord/services/falls/service"
)

func TestRun_seeds_a_live_board_and_is_repeat_safe(t *testing.T) {
	now := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	svc := service.NewForTest(t, service.WithNow(func() time.Time { return now }))
	ctx := context.Background()
	if err := seed.Run(ctx, svc, demo.NewPeople(1, locality.Default(), now), now); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		evs, err := svc.Store.ReadAll(ctx, eventstore.Start, eventstore.Forwards, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	first := count()
	// A second run, later, with the same people, writes nothing.
	if err := seed.Run(ctx, svc, demo.NewPeople(1, locality.Default(), now), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if again := count(); again != first {
		t.Fatalf("second run wrote %d events", again-first)
	}

	q := svc.App.Queries
	vctx := auth.WithViewer(ctx, auth.Viewer{Subject: "u-d", Role: auth.FallsDispatcher})
	queue, err := q.FallsQueue(vctx)
	if err != nil {
		t.Fatal(err)
	}
	states, localities := map[domain.Status]int{}, map[string]bool{}
	for _, f := range queue {
		states[f.Status]++
		localities[f.Locality] = true
	}
	for _, s := range []domain.Status{domain.StatusAlertReceived, domain.StatusTriaged, domain.StatusEscalated999, domain.StatusQueued, domain.StatusEnRoute, domain.StatusOnScene} {
		if states[s] == 0 {
			t.Errorf("no open incident %s: %v", s, states)
		}
	}
	if len(localities) < 6 {
		t.Errorf("open falls in %d localities", len(localities))
	}
	over, _ := q.FallsOverOneHour(vctx)
	if len(over) < 2 {
		t.Errorf("%d incidents over an hour on the floor", len(over))
	}
	closed := 0
	rs, _ := q.Responders(vctx)
	byStatus := map[app.ResponderStatus]int{}
	for _, r := range rs {
		byStatus[r.Status]++
	}
	if byStatus[app.ResponderAvailable] == 0 || byStatus[app.ResponderDispatched] == 0 || byStatus[app.ResponderOnScene] == 0 || byStatus[app.ResponderOffDuty] == 0 {
		t.Errorf("responders %v", byStatus)
	}
	evs, _ := svc.Store.ReadAll(ctx, eventstore.Start, eventstore.Forwards, 0)
	for _, e := range evs {
		if e.Type == "falls.FallClosed.v1" {
			closed++
		}
		if e.Type == "falls.FallOutcomeRecorded.v1" {
			for _, bad := range []string{`"REFERRED"`, `"STEP_UP_BED"`} {
				if strings.Contains(string(e.Data), `"outcome":`+bad) {
					t.Errorf("seeded an outcome other services react to: %s", bad)
				}
			}
		}
	}
	if closed < 3 {
		t.Errorf("%d closed incidents", closed)
	}
}
