package seed_test

import (
	"context"
	"testing"
	"time"

	"carecoord/pkg/auth"
	"carecoord/pkg/demo"
	"carecoord/pkg/locality"
	"carecoord/services/referrals/domain"
	"carecoord/services/referrals/seed"
	"carecoord/services/referrals/service"
)

func TestRun_fills_every_locality_with_every_state_and_is_repeat_safe(t *testing.T) {
	svc := service.NewForTest(t)
	now := time.Now()
	reg := locality.Default()
	start := time.Now()
	if err := seed.Run(context.Background(), svc, demo.NewPeople(7, reg, now), now); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded in %v", time.Since(start))

	ctx := auth.WithViewer(context.Background(), auth.SystemViewer("test"))
	count := func() (total int, byLocality map[string]map[string]int) {
		byLocality = map[string]map[string]int{}
		statuses := make([]string, len(domain.Statuses))
		for i, s := range domain.Statuses {
			statuses[i] = string(s)
		}
		for _, l := range reg.All() {
			rs, err := svc.App.Queries.LocalityReferrals.Handle(ctx, string(l.ID), statuses)
			if err != nil {
				t.Fatal(err)
			}
			byLocality[string(l.ID)] = map[string]int{}
			for _, r := range rs {
				byLocality[string(l.ID)][string(r.Status)]++
				total++
			}
		}
		return total, byLocality
	}
	total, byLocality := count()
	if total < 300 || total > 600 {
		t.Fatalf("%d referrals, want 300-600", total)
	}
	for loc, counts := range byLocality {
		for _, s := range domain.Statuses {
			if counts[string(s)] == 0 {
				t.Errorf("%s has no %s referral", loc, s)
			}
		}
	}
	perf, err := svc.App.Queries.Performance.Handle(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range perf.WaitingList {
		if b.Count == 0 {
			t.Errorf("waiting-list band %s is empty", b.Label)
		}
	}
	if perf.UCRAtRisk == 0 || perf.Last30Days.UCRContacts == 0 || perf.Last30Days.UCRWithin2h == perf.Last30Days.UCRContacts {
		t.Errorf("UCR figures show nothing interesting: %+v", perf)
	}

	// Again, later and with other people: nothing is added.
	if err := seed.Run(context.Background(), svc, demo.NewPeople(8, reg, now), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	again, _ := count()
	if again != total {
		t.Fatalf("%d referrals after a second run, want %d", again, total)
	}
}
