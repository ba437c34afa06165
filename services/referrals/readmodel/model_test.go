package readmodel_test

import (
	"context"
	"testing"
	"time"

	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/services/referrals/domain"
	"carecoord/services/referrals/readmodel"
)

// feed delivers events to the model's handlers as the bus does: each with
// its stream revision and a global position.
type feed struct {
	t   *testing.T
	m   *readmodel.Model
	pos eventstore.Position
}

func (f *feed) deliver(rev uint64, e any) {
	f.t.Helper()
	f.pos++
	ctx := eventbus.WithDelivery(context.Background(), eventbus.Delivery{Revision: rev, Position: f.pos, Actor: "u-1"})
	for _, h := range f.m.Handlers() {
		if h.NewEvent() == nil {
			continue
		}
		if eventbus.Marshaler.Name(h.NewEvent()) == eventbus.Marshaler.Name(e) {
			ptr := ptrTo(e)
			if err := h.Handle(ctx, ptr); err != nil {
				f.t.Fatal(err)
			}
			return
		}
	}
	f.t.Fatalf("no handler for %T", e)
}

func ptrTo(e any) any {
	switch e := e.(type) {
	case domain.ReferralReceived:
		return &e
	case domain.ReferralAccepted:
		return &e
	case domain.ReferralAllocated:
		return &e
	case domain.ReferralFirstContactRecorded:
		return &e
	case domain.ReferralInformationRequested:
		return &e
	case domain.ReferralInformationReceived:
		return &e
	case domain.ReferralWithdrawn:
		return &e
	case domain.ReferralEnteredInError:
		return &e
	}
	panic("add the type")
}

func receivedEvent(id, loc string, at time.Time, ucr bool) domain.ReferralReceived {
	nhs := "9434765919"
	p := domain.PriorityRoutine
	if ucr {
		p = domain.PriorityUrgent2H
	}
	return domain.ReferralReceived{ReferralID: id, Locality: loc, ReceivedAt: at, RecordedAt: at, UCR: ucr, Priority: p,
		Patient: domain.PatientBlock{NHSNumber: &nhs, GivenName: "Jean", FamilyName: "Plant"}}
}

func TestModel_redelivered_events_are_applied_once(t *testing.T) {
	f := &feed{t: t, m: readmodel.New()}
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	f.deliver(0, receivedEvent("r1", "leek", at, true))
	f.deliver(1, domain.ReferralAccepted{ReferralID: "r1", Priority: domain.PriorityUrgent2H, UCR: true, AcceptedAt: at.Add(time.Minute)})
	f.deliver(2, domain.ReferralAllocated{ReferralID: "r1", Team: "A", ClinicianID: "c1", AllocatedAt: at.Add(2 * time.Minute)})
	// Redelivery of revisions 0-2 (a consumer restarting from an older
	// checkpoint), then the next event.
	f.deliver(0, receivedEvent("r1", "leek", at, true))
	f.deliver(1, domain.ReferralAccepted{ReferralID: "r1", Priority: domain.PriorityUrgent2H, UCR: true, AcceptedAt: at.Add(time.Minute)})
	f.deliver(2, domain.ReferralAllocated{ReferralID: "r1", Team: "A", ClinicianID: "c1", AllocatedAt: at.Add(2 * time.Minute)})
	f.deliver(3, domain.ReferralFirstContactRecorded{ReferralID: "r1", ContactAt: at.Add(time.Hour)})
	r, ok := f.m.Get("r1")
	if !ok || len(r.History) != 4 || r.Status != domain.StatusFirstContact || r.Revision != 3 || r.History[2].Summary != "Referral allocated" {
		t.Fatalf("%+v", r)
	}
	if f.m.Progress().Position() != f.pos {
		t.Fatalf("progress %d, want %d", f.m.Progress().Position(), f.pos)
	}
}

func TestModel_queue_is_by_priority_then_age(t *testing.T) {
	f := &feed{t: t, m: readmodel.New()}
	base := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	f.deliver(0, receivedEvent("routine-old", "leek", base.Add(-72*time.Hour), false))
	f.deliver(0, receivedEvent("ucr-new", "leek", base, true))
	f.deliver(0, receivedEvent("ucr-old", "leek", base.Add(-time.Hour), true))
	f.deliver(0, receivedEvent("elsewhere", "tamworth", base, true))
	f.deliver(0, receivedEvent("withdrawn", "leek", base, true))
	f.deliver(1, domain.ReferralWithdrawn{ReferralID: "withdrawn", WithdrawnAt: base})
	var ids []string
	for _, r := range f.m.Locality("leek", nil) {
		ids = append(ids, r.ID)
	}
	if len(ids) != 3 || ids[0] != "ucr-old" || ids[1] != "ucr-new" || ids[2] != "routine-old" {
		t.Fatalf("queue %v", ids)
	}
	if w := f.m.Locality("leek", []domain.Status{domain.StatusWithdrawn}); len(w) != 1 {
		t.Fatalf("withdrawn %v", w)
	}
}

func TestPerformance_this_month_starts_at_midnight_UK_time(t *testing.T) {
	f := &feed{t: t, m: readmodel.New()}
	// 1 July 2026 00:30 UTC is 01:30 BST: July began at 30 June 23:00 UTC.
	now := time.Date(2026, 7, 1, 0, 30, 0, 0, time.UTC)
	f.deliver(0, receivedEvent("june", "leek", time.Date(2026, 6, 30, 22, 30, 0, 0, time.UTC), true))
	f.deliver(0, receivedEvent("july", "leek", time.Date(2026, 6, 30, 23, 10, 0, 0, time.UTC), true))
	p := f.m.Performance("leek", now)
	if !p.ThisMonth.From.Equal(time.Date(2026, 6, 30, 23, 0, 0, 0, time.UTC)) || p.ThisMonth.ReferralsReceived != 1 {
		t.Fatalf("this month %+v", p.ThisMonth)
	}
	if _, ok := p.ThisMonth.Within2hPercent(); ok {
		t.Fatal("a percentage of no contacts")
	}
}

func TestPerformance_UCR_clock_and_bands(t *testing.T) {
	f := &feed{t: t, m: readmodel.New()}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	// Exactly 2 hours counts as within; the clock restarts when requested
	// information arrives; an entered-in-error referral counts nowhere.
	f.deliver(0, receivedEvent("exactly-2h", "leek", now.Add(-3*time.Hour), true))
	f.deliver(1, domain.ReferralFirstContactRecorded{ReferralID: "exactly-2h", ContactAt: now.Add(-time.Hour)})
	f.deliver(0, receivedEvent("info", "leek", now.Add(-5*time.Hour), true))
	f.deliver(1, domain.ReferralInformationRequested{ReferralID: "info", RequestedAt: now.Add(-290 * time.Minute)})
	f.deliver(2, domain.ReferralInformationReceived{ReferralID: "info", ReceivedAt: now.Add(-100 * time.Minute)})
	f.deliver(0, receivedEvent("error", "leek", now.Add(-4*time.Hour), true))
	f.deliver(1, domain.ReferralEnteredInError{ReferralID: "error", MarkedAt: now})
	f.deliver(0, receivedEvent("waiting-a-year", "leek", now.AddDate(-1, 0, -1), false))
	f.deliver(0, receivedEvent("waiting-12-weeks", "leek", now.Add(-12*7*24*time.Hour), false))

	p := f.m.Performance("leek", now)
	if p.ThisMonth.UCRContacts != 1 || p.ThisMonth.UCRWithin2h != 1 || p.ThisMonth.ReferralsReceived != 2 {
		t.Fatalf("this month %+v", p.ThisMonth)
	}
	if p.UCRAtRisk != 1 || p.UCRAtRiskIDs[0] != "info" || p.UCRBreached != 0 {
		t.Fatalf("at risk %+v", p)
	}
	counts := map[string]int{}
	for _, b := range p.WaitingList {
		counts[b.Label] = b.Count
	}
	if counts["0-1"] != 1 || counts["12-18"] != 1 || counts["52+"] != 1 || p.Open != 3 {
		t.Fatalf("bands %v, open %d", counts, p.Open)
	}
	r, _ := f.m.Get("info")
	c, ok := r.UCRClock(now)
	if !ok || !c.Running || c.Elapsed != 100*time.Minute || !c.AtRisk || c.Breached {
		t.Fatalf("clock %+v", c)
	}
}

func TestBandOf_edges(t *testing.T) {
	week := 7 * 24 * time.Hour
	cases := map[time.Duration]string{0: "0-1", week - 1: "0-1", week: "1-2", 4*week - 1: "2-4", 4 * week: "4-12", 18 * week: "18-52", 52 * week: "52+", 400 * week: "52+"}
	for w, want := range cases {
		if got := readmodel.BandOf(w).Label; got != want {
			t.Errorf("%v: %s, want %s", w, got, want)
		}
	}
}
