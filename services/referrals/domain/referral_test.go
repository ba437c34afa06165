package domain_test

import (
	"strings"
	"testing"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"
	"carecoord/pkg/nhsnumber"
	"carecoord/pkg/postcode"
	"carecoord/services/referrals/domain"
)

var t0 = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func newReferral() domain.NewReferral {
	return domain.NewReferral{
		Patient: domain.Patient{
			NHSNumber:    nhsnumber.MustParse("9434765919"),
			Verification: nhsnumber.Verified,
			GivenName:    "Jean",
			FamilyName:   "Plant",
			DateOfBirth:  time.Date(1941, 3, 2, 0, 0, 0, 0, time.UTC),
			Postcode:     postcode.MustParse("ST13 5BQ"),
			GPPractice:   "Z10081",
		},
		Locality:         "leek",
		Referrer:         domain.Referrer{Name: ptr("Dr A Shah"), OrganisationODS: ptr("Z10081"), Source: domain.SourceGP},
		ReceivedAt:       t0,
		RecordedAt:       t0.Add(20 * time.Minute),
		Reason:           domain.Reason{SnomedCode: "217082002", Display: "Accidental fall"},
		ServiceRequested: "Urgent Community Response",
		Priority:         domain.PriorityUrgent2H,
		UCR:              true,
		Consent:          domain.ConsentGiven,
		RiskFlags:        []domain.RiskFlag{domain.RiskFalls, domain.RiskAnimals, domain.RiskFalls},
	}
}

// given builds a referral from events, as the repository does.
func given(events ...aggregate.Event) *domain.Referral {
	r := domain.NewState("r1")
	for _, e := range events {
		r.Apply(e)
	}
	return r
}

func received(t *testing.T, mutate ...func(*domain.NewReferral)) domain.ReferralReceived {
	t.Helper()
	n := newReferral()
	for _, m := range mutate {
		m(&n)
	}
	evs, err := domain.NewState("r1").Receive(n)
	if err != nil {
		t.Fatal(err)
	}
	return evs[0].(domain.ReferralReceived)
}

func step(min int) domain.Step {
	return domain.Step{At: t0.Add(time.Duration(min) * time.Minute), By: "u-clin"}
}

func accepted(t *testing.T) domain.ReferralAccepted {
	t.Helper()
	evs, err := given(received(t)).Triage(domain.TriageDecision{Outcome: domain.TriageAccept}, step(10))
	if err != nil {
		t.Fatal(err)
	}
	return evs[0].(domain.ReferralAccepted)
}

func allocated() domain.ReferralAllocated {
	return domain.ReferralAllocated{ReferralID: "r1", Locality: "leek", Team: "Leek UCR", ClinicianID: "u-nurse", AllocatedAt: t0.Add(15 * time.Minute)}
}

func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Kind != errs.KindInvalidInput || e.Field != field {
		t.Fatalf("got %v, want invalid input in %q", err, field)
	}
}

func wantIllegal(t *testing.T, err error, state domain.Status) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Kind != errs.KindInvalidInput || e.Field != "" || !strings.Contains(e.Msg, "("+string(state)+")") {
		t.Fatalf("got %v, want an illegal step naming %s", err, state)
	}
}

func TestReceive_records_the_referral_with_business_time_apart_from_recorded_time(t *testing.T) {
	e := received(t)
	if e.ReferralID != "r1" || e.Locality != "leek" || !e.ReceivedAt.Equal(t0) || !e.RecordedAt.Equal(t0.Add(20*time.Minute)) {
		t.Fatalf("event %+v", e)
	}
	if e.Patient.NHS() != "9434765919" || *e.Patient.DateOfBirth != "1941-03-02" || *e.Patient.Postcode != "ST13 5BQ" || *e.Patient.GPPractice != "Z10081" {
		t.Fatalf("patient %+v", e.Patient)
	}
	// Duplicates dropped, listed in a stable order.
	if len(e.RiskFlags) != 2 || e.RiskFlags[0] != domain.RiskAnimals || e.RiskFlags[1] != domain.RiskFalls {
		t.Fatalf("risk flags %v", e.RiskFlags)
	}
	if r := given(e); r.Status() != domain.StatusReceived || r.Locality() != "leek" {
		t.Fatalf("state %v", r.Status())
	}
}

func TestReceive_rejects_what_does_not_hold_together(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*domain.NewReferral)
		field  string
	}{
		{"UCR at routine priority", func(n *domain.NewReferral) { n.Priority = domain.PriorityRoutine }, "priority"},
		{"UCR for a child", func(n *domain.NewReferral) { n.Patient.DateOfBirth = t0.AddDate(-17, 0, 0) }, "ucr"},
		{"received in the future", func(n *domain.NewReferral) { n.ReceivedAt = n.RecordedAt.Add(time.Hour) }, "receivedAt"},
		{"born after the referral", func(n *domain.NewReferral) { n.UCR = false; n.Patient.DateOfBirth = t0.AddDate(0, 0, 1) }, "patient.dateOfBirth"},
		{"verified without a number", func(n *domain.NewReferral) { n.Patient.NHSNumber = nhsnumber.Number{} }, "patient.nhsNumberVerification"},
		{"a number marked not known", func(n *domain.NewReferral) { n.Patient.Verification = nhsnumber.NotKnown }, "patient.nhsNumberVerification"},
		{"no family name", func(n *domain.NewReferral) { n.Patient.FamilyName = "  " }, "patient.familyName"},
		{"no locality", func(n *domain.NewReferral) { n.Locality = "" }, "patient.gpPractice"},
		{"a mistyped SNOMED code", func(n *domain.NewReferral) { n.Reason.SnomedCode = "217082003" }, "reason.snomedCode"},
		{"no reason display", func(n *domain.NewReferral) { n.Reason.Display = "" }, "reason.display"},
		{"a GP referral without its practice", func(n *domain.NewReferral) { n.Referrer.OrganisationODS = nil }, "referrer.organisationOds"},
		{"a bad ODS code", func(n *domain.NewReferral) { n.Referrer.OrganisationODS = ptr("z-100") }, "referrer.organisationOds"},
		{"no service", func(n *domain.NewReferral) { n.ServiceRequested = "" }, "serviceRequested"},
		{"patient choice on a non-UCR referral", func(n *domain.NewReferral) {
			n.UCR = false
			n.PatientChoseLaterTime = true
		}, "patientChoseLaterTime"},
		{"an unknown risk flag", func(n *domain.NewReferral) { n.RiskFlags = []domain.RiskFlag{"DRAGONS"} }, "riskFlags"},
		{"a practice code of the wrong form", func(n *domain.NewReferral) { n.Patient.GPPractice = "RJF04" }, "patient.gpPractice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := newReferral()
			c.mutate(&n)
			evs, err := domain.NewState("r1").Receive(n)
			if evs != nil {
				t.Fatalf("events raised on error: %v", evs)
			}
			wantInvalid(t, err, c.field)
		})
	}
}

func TestReceive_allows_an_unknown_NHS_number_awaiting_trace(t *testing.T) {
	e := received(t, func(n *domain.NewReferral) {
		n.Patient.NHSNumber = nhsnumber.Number{}
		n.Patient.Verification = nhsnumber.TraceRequired
		n.Patient.DateOfBirth = time.Time{}
		n.Patient.Postcode = postcode.Postcode{}
	})
	if e.Patient.NHSNumber != nil || e.Patient.DateOfBirth != nil || e.Patient.Postcode != nil {
		t.Fatalf("unknown values must be null: %+v", e.Patient)
	}
}

func TestReceive_into_an_existing_referral_conflicts(t *testing.T) {
	_, err := given(received(t)).Receive(newReferral())
	if !errs.Is(err, errs.KindConflict) {
		t.Fatalf("got %v", err)
	}
}

func TestReferral_Triage_accept_puts_it_on_the_waiting_list_with_the_contract_fields(t *testing.T) {
	e := accepted(t)
	if e.ReferralID != "r1" || e.Locality != "leek" || e.Priority != domain.PriorityUrgent2H || !e.UCR ||
		e.Reason.SnomedCode != "217082002" || e.ServiceRequested != "Urgent Community Response" ||
		e.AcceptedBy != "u-clin" || !e.AcceptedAt.Equal(t0.Add(10*time.Minute)) || e.Patient.NHS() != "9434765919" {
		t.Fatalf("accepted %+v", e)
	}
	if r := given(received(t), e); r.Status() != domain.StatusWaiting {
		t.Fatalf("status %s", r.Status())
	}
}

func TestReferral_Triage_accepting_below_2_hours_takes_it_out_of_UCR(t *testing.T) {
	evs, err := given(received(t)).Triage(domain.TriageDecision{Outcome: domain.TriageAccept, Priority: domain.PriorityUrgent2D}, step(10))
	if err != nil {
		t.Fatal(err)
	}
	if e := evs[0].(domain.ReferralAccepted); e.UCR || e.Priority != domain.PriorityUrgent2D {
		t.Fatalf("accepted %+v", e)
	}
}

func TestReferral_Triage_outcomes_need_their_own_fields_and_only_those(t *testing.T) {
	r := given(received(t))
	cases := []struct {
		d     domain.TriageDecision
		field string
	}{
		{domain.TriageDecision{Outcome: domain.TriageReject}, "reason"},
		{domain.TriageDecision{Outcome: domain.TriageRedirect}, "service"},
		{domain.TriageDecision{Outcome: domain.TriageRedirect, Service: ptr("urgent community response")}, "service"},
		{domain.TriageDecision{Outcome: domain.TriageRequestInformation}, "information"},
		{domain.TriageDecision{Outcome: domain.TriageAccept, Reason: ptr("fine")}, "reason"},
		{domain.TriageDecision{Outcome: domain.TriageReject, Reason: ptr("x"), Service: ptr("y")}, "service"},
		{domain.TriageDecision{Outcome: "MAYBE"}, "outcome"},
	}
	for _, c := range cases {
		_, err := r.Triage(c.d, step(5))
		wantInvalid(t, err, c.field)
	}
	evs, err := r.Triage(domain.TriageDecision{Outcome: domain.TriageRedirect, Service: ptr("Community Mental Health Team")}, step(5))
	if err != nil || evs[0].(domain.ReferralRedirected).Service != "Community Mental Health Team" {
		t.Fatalf("%v %v", evs, err)
	}
}

func TestReferral_Triage_when_already_triaged_is_rejected_naming_the_state(t *testing.T) {
	_, err := given(received(t), accepted(t)).Triage(domain.TriageDecision{Outcome: domain.TriageReject, Reason: ptr("x")}, step(20))
	wantIllegal(t, err, domain.StatusWaiting)
	if !strings.Contains(err.Error(), "accepted and waiting for allocation") {
		t.Fatalf("message %q", err)
	}
}

func TestReferral_information_requested_comes_back_to_triage_when_it_arrives(t *testing.T) {
	r := given(received(t))
	evs, err := r.Triage(domain.TriageDecision{Outcome: domain.TriageRequestInformation, Information: ptr("current medication"), RequestedFrom: ptr("GP")}, step(5))
	if err != nil {
		t.Fatal(err)
	}
	r.Apply(evs[0])
	if r.Status() != domain.StatusInformationRequested {
		t.Fatalf("status %s", r.Status())
	}
	_, err = r.Triage(domain.TriageDecision{Outcome: domain.TriageAccept}, step(6))
	wantIllegal(t, err, domain.StatusInformationRequested)
	evs, err = r.RecordInformationReceived(step(90))
	if err != nil {
		t.Fatal(err)
	}
	r.Apply(evs[0])
	if _, err := r.Triage(domain.TriageDecision{Outcome: domain.TriageAccept}, step(95)); err != nil || r.Status() != domain.StatusReceived {
		t.Fatalf("re-triage: %v (status %s)", err, r.Status())
	}
}

func TestReferral_steps_out_of_order_are_rejected_naming_the_state(t *testing.T) {
	contact := domain.ReferralFirstContactRecorded{ReferralID: "r1", ContactAt: t0.Add(40 * time.Minute)}
	cases := []struct {
		name  string
		r     *domain.Referral
		do    func(*domain.Referral) ([]aggregate.Event, error)
		state domain.Status
	}{
		{"allocate before triage", given(received(t)), func(r *domain.Referral) ([]aggregate.Event, error) {
			return r.Allocate(domain.Allocation{Team: "T", ClinicianID: "c"}, step(30))
		}, domain.StatusReceived},
		{"first contact before allocation", given(received(t), accepted(t)), func(r *domain.Referral) ([]aggregate.Event, error) {
			return r.RecordFirstContact(step(30))
		}, domain.StatusWaiting},
		{"information received when none was asked for", given(received(t)), func(r *domain.Referral) ([]aggregate.Event, error) {
			return r.RecordInformationReceived(step(30))
		}, domain.StatusReceived},
		{"allocate after first contact", given(received(t), accepted(t), allocated(), contact), func(r *domain.Referral) ([]aggregate.Event, error) {
			return r.Allocate(domain.Allocation{Team: "T", ClinicianID: "c"}, step(50))
		}, domain.StatusFirstContact},
		{"withdraw after first contact", given(received(t), accepted(t), allocated(), contact), func(r *domain.Referral) ([]aggregate.Event, error) {
			return r.Close(domain.ClosureWithdrawn, "patient asked", step(50))
		}, domain.StatusFirstContact},
		{"cancel a rejected referral", given(received(t), domain.ReferralRejected{RejectedAt: t0.Add(time.Minute)}), func(r *domain.Referral) ([]aggregate.Event, error) {
			return r.Close(domain.ClosureCancelled, "x", step(50))
		}, domain.StatusRejected},
		{"mark in error twice", given(received(t), domain.ReferralEnteredInError{MarkedAt: t0.Add(time.Minute)}), func(r *domain.Referral) ([]aggregate.Event, error) {
			return r.Close(domain.ClosureEnteredInError, "duplicate", step(50))
		}, domain.StatusEnteredInError},
		{"patient choice after contact", given(received(t), accepted(t), allocated(), contact), func(r *domain.Referral) ([]aggregate.Event, error) {
			return r.RecordPatientChoice(nil, step(50))
		}, domain.StatusFirstContact},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs, err := c.do(c.r)
			if evs != nil {
				t.Fatalf("events raised: %v", evs)
			}
			wantIllegal(t, err, c.state)
		})
	}
}

func TestReferral_a_step_on_a_referral_never_received_is_not_found(t *testing.T) {
	_, err := domain.NewState("nope").Triage(domain.TriageDecision{Outcome: domain.TriageAccept}, step(1))
	if !errs.Is(err, errs.KindNotFound) {
		t.Fatalf("got %v", err)
	}
}

func TestReferral_a_step_dated_before_the_previous_one_is_rejected(t *testing.T) {
	_, err := given(received(t), accepted(t)).Allocate(domain.Allocation{Team: "T", ClinicianID: "c"}, step(5))
	wantInvalid(t, err, "at")
}

func TestReferral_full_lifecycle_and_reallocation(t *testing.T) {
	r := given(received(t), accepted(t))
	apply := func(evs []aggregate.Event, err error) []aggregate.Event {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			r.Apply(e)
		}
		return evs
	}
	apply(r.Allocate(domain.Allocation{Team: "Leek UCR", ClinicianID: "u-nurse"}, step(15)))
	if evs := apply(r.Allocate(domain.Allocation{Team: "Leek UCR", ClinicianID: "u-nurse"}, step(16))); len(evs) != 0 {
		t.Fatalf("same allocation recorded again: %v", evs)
	}
	if evs := apply(r.Allocate(domain.Allocation{Team: "Leek UCR", ClinicianID: "u-other", ClinicianName: ptr("Sam Hall")}, step(17))); len(evs) != 1 {
		t.Fatalf("reallocation: %v", evs)
	}
	evs := apply(r.RecordFirstContact(step(70)))
	if c := evs[0].(domain.ReferralFirstContactRecorded); !c.ContactAt.Equal(t0.Add(70*time.Minute)) || r.Status() != domain.StatusFirstContact {
		t.Fatalf("contact %+v, status %s", c, r.Status())
	}
	// A record that turns out to be wrong can still be marked so.
	apply(r.Close(domain.ClosureEnteredInError, "recorded against the wrong patient", step(200)))
	if r.Status() != domain.StatusEnteredInError {
		t.Fatalf("status %s", r.Status())
	}
}

func TestReferral_patient_choice_applies_to_UCR_once(t *testing.T) {
	r := given(received(t), accepted(t))
	evs, err := r.RecordPatientChoice(ptr(t0.Add(5*time.Hour)), step(20))
	if err != nil || len(evs) != 1 {
		t.Fatalf("%v %v", evs, err)
	}
	r.Apply(evs[0])
	if evs, err := r.RecordPatientChoice(nil, step(21)); err != nil || len(evs) != 0 {
		t.Fatalf("second choice: %v %v", evs, err)
	}
	notUCR := given(received(t, func(n *domain.NewReferral) { n.UCR = false; n.Priority = domain.PriorityRoutine }))
	_, err = notUCR.RecordPatientChoice(nil, step(20))
	wantInvalid(t, err, "referralId")
}

func TestReferral_withdraw_and_cancel_need_a_reason(t *testing.T) {
	_, err := given(received(t)).Close(domain.ClosureWithdrawn, " ", step(5))
	wantInvalid(t, err, "reason")
	evs, err := given(received(t)).Close(domain.ClosureCancelled, "patient moved out of area", step(5))
	if err != nil || evs[0].(domain.ReferralCancelled).Reason != "patient moved out of area" {
		t.Fatalf("%v %v", evs, err)
	}
}

func TestValidateSnomedID(t *testing.T) {
	for _, ok := range []string{"217082002", "390906007", "22298006", "73211009", "404684003"} {
		if err := domain.ValidateSnomedID("c", ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"217082003", "12345", "0217082002", "21708200A", "217082012"} {
		if err := domain.ValidateSnomedID("c", bad); !errs.Is(err, errs.KindInvalidInput) {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestReferral_CheckRepeat_accepts_the_same_receipt_and_refuses_another(t *testing.T) {
	r := given(received(t))
	same := newReferral()
	same.Patient.FamilyName = " plant " // as retyped: the same patient
	same.Notes = ptr("added on the retry")
	if err := r.CheckRepeat(same); err != nil {
		t.Fatalf("the same referral repeated: %v", err)
	}
	for name, change := range map[string]func(*domain.NewReferral){
		"another patient":  func(n *domain.NewReferral) { n.Patient.NHSNumber = nhsnumber.MustParse("9876543210") },
		"no NHS number":    func(n *domain.NewReferral) { n.Patient.NHSNumber = nhsnumber.Number{} },
		"another locality": func(n *domain.NewReferral) { n.Locality = "tamworth" },
		"another source":   func(n *domain.NewReferral) { n.Referrer.Source = domain.SourceNHS111 },
	} {
		n := newReferral()
		change(&n)
		err := r.CheckRepeat(n)
		if e, ok := errs.As(err); !ok || e.Kind != errs.KindConflict || e.Slug != "command-id-reused" {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Contains(err.Error(), "9434765919") || strings.Contains(err.Error(), "leek") {
			t.Fatalf("%s: the conflict names the other referral: %v", name, err)
		}
	}
	// A patient without an NHS number is told apart by name and birth date.
	unknown := func(n *domain.NewReferral) {
		n.Patient.NHSNumber, n.Patient.Verification = nhsnumber.Number{}, nhsnumber.NotKnown
	}
	r = given(received(t, unknown))
	n := newReferral()
	unknown(&n)
	if err := r.CheckRepeat(n); err != nil {
		t.Fatalf("the same unidentified patient: %v", err)
	}
	n.Patient.FamilyName = "Leigh"
	if err := r.CheckRepeat(n); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("another unidentified patient: %v", err)
	}
	if err := domain.NewState("r2").CheckRepeat(newReferral()); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("a referral never received repeats nothing: %v", err)
	}
}
