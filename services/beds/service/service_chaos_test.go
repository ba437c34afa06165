package service_test

import (
	"context"
	"strings"

	"carecoord/services/beds/invariants"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"carecoord/pkg/auth"
	"carecoord/pkg/errs"

	"carecoord/services/beds/app"
	"carecoord/services/beds/domain"
	"carecoord/services/beds/hospitals"
	"carecoord/services/beds/readmodel"
	"carecoord/services/beds/service"
)

// Many managers doing anything to few beds and few patients at once: every
// refusal is typed (never INTERNAL), and the log keeps every invariant.
func TestChaos_every_step_at_once_on_a_small_estate_keeps_the_invariants(t *testing.T) {
	reg, err := hospitals.Parse([]byte(`{"hospitals": [
		{"id": "north", "name": "North", "town": "Leek", "locality": "leek", "wards": [{"id": "north-w1", "name": "Ward 1", "beds": 4}]},
		{"id": "south", "name": "South", "town": "Tamworth", "locality": "tamworth", "wards": [{"id": "south-w1", "name": "Ward 1", "beds": 3}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c, store := newService(t, service.TestOptions{Hospitals: reg})
	cmd := c.svc.App.Commands
	ps := people(10, "leek")
	beds := reg.BedIDs()
	ctx := auth.WithViewer(context.Background(), bedManager)

	var ops, refused atomic.Int64
	// Two seconds of chaos, carried on (up to 30 s) until it has admitted,
	// transferred and discharged someone: on a loaded machine a transfer
	// can find no free bed for the whole of two seconds.
	var admitted, transferred, discharged atomic.Int64
	deadline := time.Now().Add(2 * time.Second)
	hardDeadline := time.Now().Add(30 * time.Second)
	running := func() bool {
		now := time.Now()
		if now.Before(deadline) {
			return true
		}
		enough := admitted.Load() > 0 && transferred.Load() > 0 && discharged.Load() > 0
		return !enough && now.Before(hardDeadline)
	}
	parallel(16, func(w int) {
		rng := rand.New(rand.NewPCG(uint64(w), 99))
		pick := func(keep func(readmodel.Stay) bool) (readmodel.Stay, bool) {
			s := c.svc.Views.Stays(keep)
			if len(s) == 0 {
				return readmodel.Stay{}, false
			}
			return s[rng.IntN(len(s))], true
		}
		status := func(want readmodel.StayStatus) func(readmodel.Stay) bool {
			return func(s readmodel.Stay) bool { return s.Status == want }
		}
		for running() {
			var err error
			switch rng.IntN(10) {
			case 0, 1: // a request, accepted, allocated
				p := ps[rng.IntN(len(ps))]
				var req readmodel.Request
				req, err = cmd.RaiseBedRequest(ctx, app.RaiseBedRequestInput{Type: domain.StepUp, Source: domain.SourceICT, Priority: domain.Urgent,
					ClinicalNeed: "x", Patient: domain.PatientInput{NHSNumber: p.NHSNumber.String(), GivenName: "A", FamilyName: "B"}, Locality: "leek"})
				if err == nil {
					_, err = cmd.DecideBedRequest(ctx, app.DecideBedRequestInput{BedRequestID: req.ID, Decision: app.Accept})
				}
				if err == nil {
					_, err = cmd.AllocateBed(ctx, app.AllocateBedInput{BedRequestID: req.ID, BedID: beds[rng.IntN(len(beds))]})
				}
			case 2:
				if s, ok := pick(status(readmodel.StayReserved)); ok {
					if _, err = cmd.AdmitPatient(ctx, app.AdmitPatientInput{StayID: s.ID}); err == nil {
						admitted.Add(1)
					}
				}
			case 3:
				if s, ok := pick(status(readmodel.StayAdmitted)); ok {
					if _, err = cmd.TransferPatient(ctx, app.TransferPatientInput{StayID: s.ID, ToBedID: beds[rng.IntN(len(beds))], Reason: domain.TransferOther}); err == nil {
						transferred.Add(1)
					}
				}
			case 4:
				if s, ok := pick(status(readmodel.StayAdmitted)); ok {
					if _, err = cmd.DischargePatient(ctx, app.DischargePatientInput{StayID: s.ID, Pathway: domain.P0, Destination: "Home"}); err == nil {
						discharged.Add(1)
					}
				}
			case 5:
				_, err = cmd.MarkBedClean(ctx, app.MarkBedCleanInput{BedID: beds[rng.IntN(len(beds))]})
			case 6:
				if rng.IntN(2) == 0 {
					_, err = cmd.CloseBed(ctx, app.CloseBedInput{BedID: beds[rng.IntN(len(beds))], Reason: domain.ClosureStaffing})
				} else {
					_, err = cmd.ReopenBed(ctx, app.ReopenBedInput{BedID: beds[rng.IntN(len(beds))]})
				}
			case 7:
				if s, ok := pick(status(readmodel.StayAdmitted)); ok {
					_, err = cmd.RecordNoCriteriaToReside(ctx, app.RecordNoCriteriaToResideInput{StayID: s.ID, DelayReason: domain.DelayAwaitingHousing})
				}
			case 9:
				if s, ok := pick(status(readmodel.StayReserved)); ok {
					_, err = cmd.CancelBedAllocation(ctx, app.CancelBedAllocationInput{StayID: s.ID, Reason: "Conveyed to ED"})
				}
			case 8: // a request declined, perhaps while it is being allocated
				if open := c.svc.Views.Requests([]domain.RequestStatus{domain.RequestAccepted}, nil); len(open) > 0 {
					_, err = cmd.DecideBedRequest(ctx, app.DecideBedRequestInput{BedRequestID: open[rng.IntN(len(open))].ID, Decision: app.Decline, Reason: "No longer needed"})
				}
			}
			ops.Add(1)
			if err != nil {
				refused.Add(1)
				if k := errs.KindOf(err); k != errs.KindInvalidInput && k != errs.KindConflict && k != errs.KindNotFound {
					t.Errorf("untyped failure: %v", err)
					return
				}
			}
		}
	})
	if rep, _ := invariants.Check(context.Background(), store); !rep.OK() {
		for _, v := range rep.Violations {
			f := strings.Fields(v)
			for i, w := range f {
				if w == "stay" && i+1 < len(f) {
					dumpStay(t, store, f[i+1], "")
					break
				}
			}
		}
	}
	r := checkInvariants(t, store)
	t.Logf("%d operations, %d refused; %s", ops.Load(), refused.Load(), r)
	if r.Admissions == 0 || r.Transfers == 0 || r.Discharges == 0 {
		t.Fatalf("the chaos did too little to prove anything: %s", r)
	}
	// The read model agrees with the log: every current stay is on its bed.
	for _, s := range c.svc.Views.Stays(func(s readmodel.Stay) bool { return s.Current() }) {
		b, _ := c.svc.Views.Bed(s.Bed.BedID)
		if b.StayID != s.ID {
			t.Errorf("stay %s (%s) is not on its bed %s (held by %q)", s.ID, s.Status, s.Bed.BedID, b.StayID)
		}
	}
}
