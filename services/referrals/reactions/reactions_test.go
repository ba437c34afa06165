package reactions_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"carecoord/pkg/auth"
	"carecoord/pkg/errs"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/locality"
	"carecoord/services/referrals/app"
	"carecoord/services/referrals/reactions"
)

// receiver records what the reactions ask for and answers with err.
type receiver struct {
	calls []call
	err   error
}

type call struct {
	in        app.ReceiveReferral
	commandID string
	viewer    auth.Viewer
}

func (r *receiver) Record(ctx context.Context, in app.ReceiveReferral, commandID string) (app.Written, error) {
	v, _ := auth.From(ctx)
	r.calls = append(r.calls, call{in, commandID, v})
	return app.Written{ReferralID: "r-" + commandID}, r.err
}

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func newReactions(rec *receiver) *reactions.Reactions {
	return reactions.New(rec, locality.Default(), nil, func() time.Time { return now })
}

func delivery() context.Context {
	return eventbus.WithDelivery(context.Background(), eventbus.Delivery{EventID: "ev-1"})
}

func ptr(s string) *string { return &s }

func patient(practice *string) reactions.PatientBlock {
	return reactions.PatientBlock{NHSNumber: ptr("9434765919"), NHSNumberVerification: "NOT_KNOWN", GivenName: "Jean", FamilyName: "Plant", GPPractice: practice}
}

func TestOnFallOutcomeRecorded_one_command_per_service_named_by_the_event(t *testing.T) {
	rec := &receiver{}
	e := &reactions.FallOutcomeRecorded{IncidentID: "i1", Patient: patient(ptr("Z10032")), Locality: "tamworth", Outcome: "REFERRED",
		ReferTo: []string{"UCR", "ICT", "UCR", "PHYSIO"}, RecordedAt: "2026-11-20T13:00:00Z"}
	if err := newReactions(rec).OnFallOutcomeRecorded(delivery(), e); err != nil {
		t.Fatal(err)
	}
	if len(rec.calls) != 2 || rec.calls[0].commandID != "RaiseReferralOnFallOutcome:ev-1:UCR" || rec.calls[1].commandID != "RaiseReferralOnFallOutcome:ev-1:ICT" {
		t.Fatalf("calls %+v", rec.calls)
	}
	c := rec.calls[0]
	if !c.in.UCR || c.in.Priority != "URGENT_2H" || c.viewer.Subject != "system:referrals.RaiseReferralOnFallOutcome" {
		t.Fatalf("%+v", c)
	}
	// The practice settles the locality; a number with no usable status is
	// unverified; a producer's time ahead of this clock is this clock's.
	if c.in.LocalityID != nil || c.in.Patient.NHSNumberVerification != "UNVERIFIED" || !c.in.ReceivedAtTime.Equal(now) {
		t.Fatalf("%+v", c.in)
	}
}

func TestOnFallOutcomeRecorded_refused_data_is_acknowledged_and_transient_failures_retried(t *testing.T) {
	e := &reactions.FallOutcomeRecorded{IncidentID: "i1", Patient: patient(ptr("Z10032")), Outcome: "REFERRED", ReferTo: []string{"UCR"}}
	rec := &receiver{err: errs.Invalid("ucr", "adults only", "ucr-adults-only")}
	if err := newReactions(rec).OnFallOutcomeRecorded(delivery(), e); err != nil {
		t.Fatalf("a refusal that retrying cannot change was returned: %v", err)
	}
	rec = &receiver{err: errs.Internal("disk", errors.New("io"))}
	if err := newReactions(rec).OnFallOutcomeRecorded(delivery(), e); err == nil {
		t.Fatal("a transient failure was swallowed")
	}
	rec = &receiver{err: errs.Conflict("changed", "concurrent-change")}
	if err := newReactions(rec).OnFallOutcomeRecorded(delivery(), e); err == nil {
		t.Fatal("a conflict was swallowed")
	}
}

func TestOnPatientDischarged_uses_the_event_locality_when_the_practice_is_not_here(t *testing.T) {
	rec := &receiver{}
	e := &reactions.PatientDischarged{StayID: "s1", Patient: patient(ptr("Y99999")), Locality: "leek", Pathway: "P1",
		FollowUp: reactions.FollowUp{ICTReferral: true}, DischargedAt: "2026-11-20T10:00:00Z"}
	if err := newReactions(rec).OnPatientDischarged(delivery(), e); err != nil {
		t.Fatal(err)
	}
	if len(rec.calls) != 1 || rec.calls[0].in.LocalityID == nil || *rec.calls[0].in.LocalityID != "leek" ||
		rec.calls[0].commandID != "RaiseReferralOnDischargeFollowUp:ev-1" || !rec.calls[0].in.ReceivedAtTime.Equal(now.Add(-2*time.Hour)) {
		t.Fatalf("%+v", rec.calls)
	}
	// No locality anywhere: skipped.
	e.Locality = ""
	rec = &receiver{}
	if err := newReactions(rec).OnPatientDischarged(delivery(), e); err != nil || len(rec.calls) != 0 {
		t.Fatalf("%v %+v", err, rec.calls)
	}
}
