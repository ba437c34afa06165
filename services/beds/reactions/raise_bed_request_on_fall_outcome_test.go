package reactions_test

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/zap"

	"carecoord/pkg/auth"
	"carecoord/pkg/errs"
	"carecoord/pkg/eventbus"

	"carecoord/services/beds/app"
	"carecoord/services/beds/domain"
	"carecoord/services/beds/reactions"
	"carecoord/services/beds/readmodel"
)

type raiser struct {
	calls []app.RaiseBedRequestInput
	as    []auth.Viewer
	err   error
}

func (r *raiser) RaiseBedRequest(ctx context.Context, in app.RaiseBedRequestInput) (readmodel.Request, error) {
	v, _ := auth.From(ctx)
	r.calls, r.as = append(r.calls, in), append(r.as, v)
	return readmodel.Request{}, r.err
}

func handle(t *testing.T, r *raiser, e reactions.FallOutcomeRecorded) error {
	t.Helper()
	h := reactions.RaiseBedRequestOnFallOutcome(r, zap.NewNop())
	ctx := eventbus.WithDelivery(context.Background(), eventbus.Delivery{EventID: "evt-1"})
	return h.Handle(ctx, &e)
}

func ptr(s string) *string { return &s }

func stepUp() reactions.FallOutcomeRecorded {
	return reactions.FallOutcomeRecorded{
		IncidentID: "inc-1", Outcome: "STEP_UP_BED", Locality: "leek", ClinicalNeed: nil, RecordedAt: "2025-11-23T08:00:00Z",
		Patient: reactions.PatientBlock{NHSNumber: ptr("9434765919"), Verification: ptr("NOT_KNOWN"), GivenName: ptr("Jean"), FamilyName: ptr("Smith")},
	}
}

func TestReaction_raises_an_urgent_falls_step_up_with_an_ID_from_the_event(t *testing.T) {
	r := &raiser{}
	if err := handle(t, r, stepUp()); err != nil {
		t.Fatal(err)
	}
	if len(r.calls) != 1 {
		t.Fatalf("%d calls", len(r.calls))
	}
	in := r.calls[0]
	if in.CommandID != "RaiseBedRequestOnFallOutcome:evt-1" || in.Type != domain.StepUp || in.Source != domain.SourceFalls || in.Priority != domain.Urgent ||
		in.SourceRef != "inc-1" || in.ClinicalNeed == "" || in.Patient.Verification != "UNVERIFIED" || in.RequestedAt != "2025-11-23T08:00:00Z" {
		t.Fatalf("input %+v", in)
	}
	if r.as[0].Role != auth.System || r.as[0].Subject != "system:beds.RaiseBedRequestOnFallOutcome" {
		t.Fatalf("ran as %+v", r.as[0])
	}
}

func TestReaction_ignores_other_outcomes_and_unidentified_patients(t *testing.T) {
	r := &raiser{}
	other := stepUp()
	other.Outcome = "REFERRED"
	unknown := stepUp()
	unknown.Patient.NHSNumber = nil
	for _, e := range []reactions.FallOutcomeRecorded{other, unknown} {
		if err := handle(t, r, e); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.calls) != 0 {
		t.Fatalf("raised %d requests", len(r.calls))
	}
}

func TestReaction_skips_what_cannot_succeed_and_retries_what_might(t *testing.T) {
	invalid := &raiser{err: errs.Invalid("patient.gpPractice", "is not a GP practice", "practice-unknown")}
	if err := handle(t, invalid, stepUp()); err != nil {
		t.Fatalf("a permanent refusal was returned for retry: %v", err)
	}
	transient := &raiser{err: errs.Internal("could not record the change; try again", errors.New("disk"))}
	if err := handle(t, transient, stepUp()); err == nil {
		t.Fatal("a transient failure was swallowed")
	}
	conflict := &raiser{err: errs.Conflict("changed", "concurrent-change")}
	if err := handle(t, conflict, stepUp()); err == nil {
		t.Fatal("a conflict was swallowed instead of retried")
	}
}
