package domain_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"
	"carecoord/pkg/nhsnumber"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/hospitals"
)

var (
	t0      = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	nhs     = nhsnumber.MustParse("9434765919")
	bedA    = hospitals.Location{HospitalID: "haywood", WardID: "haywood-w1", BedID: "haywood-w1-01"}
	bedB    = hospitals.Location{HospitalID: "cheadle", WardID: "cheadle-w1", BedID: "cheadle-w1-03"}
	patient = domain.Patient{NHSNumber: nhs, Verification: nhsnumber.Verified, GivenName: "Jean", FamilyName: "Smith"}
)

// given folds history into a fresh aggregate.
func given[S aggregate.State](s S, history ...aggregate.Event) S {
	for _, e := range history {
		s.Apply(e)
	}
	return s
}

func wantEvents(t *testing.T, got []aggregate.Event, err error, want ...aggregate.Event) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events\n got %#v\nwant %#v", got, want)
	}
}

func wantError(t *testing.T, got []aggregate.Event, err error, kind errs.Kind, slug, msgContains string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Kind != kind || e.Slug != slug || !strings.Contains(e.Error(), msgContains) {
		t.Fatalf("got error %v (%+v), want kind %v slug %s containing %q", err, e, kind, slug, msgContains)
	}
	if len(got) != 0 {
		t.Fatalf("a refused command raised %v", got)
	}
}

// ---- bed requests ----

func raised(id string) domain.BedRequestRaised {
	return domain.BedRequestRaised{RequestID: id, Type: domain.StepUp, Source: domain.SourceFalls, Priority: domain.Urgent, ClinicalNeed: "x", Patient: patient, Locality: "leek", RaisedAt: t0}
}

func TestBedRequest_Raise_step_down_must_come_from_an_acute_hospital(t *testing.T) {
	evs, err := domain.NewBedRequest("r1").Raise(domain.NewRequest{Type: domain.StepDown, Source: domain.SourceICT, Priority: domain.High, ClinicalNeed: "rehab", Patient: patient, Locality: "leek"}, t0)
	wantError(t, evs, err, errs.KindInvalidInput, "source-type-mismatch", "ACUTE")
}

func TestBedRequest_Raise_records_the_request_in_UTC(t *testing.T) {
	at := t0.In(time.FixedZone("BST", 3600))
	evs, err := domain.NewBedRequest("r1").Raise(domain.NewRequest{Type: domain.StepUp, Source: domain.SourceFalls, Priority: domain.Urgent, ClinicalNeed: " lives alone, cannot mobilise ", Patient: patient, Locality: "leek", RaisedBy: "u1"}, at)
	want := raised("r1")
	want.ClinicalNeed, want.RaisedBy = "lives alone, cannot mobilise", "u1"
	wantEvents(t, evs, err, want)
	if evs[0].(domain.BedRequestRaised).RaisedAt.Location() != time.UTC {
		t.Fatal("raisedAt not in UTC")
	}
}

func TestBedRequest_CheckRepeat_accepts_the_same_request_and_refuses_another(t *testing.T) {
	r := given(domain.NewBedRequest("r1"), raised("r1"), domain.BedRequestAccepted{RequestID: "r1"})
	same := domain.NewRequest{Type: domain.StepUp, Source: domain.SourceFalls, Priority: domain.High, ClinicalNeed: "retyped", Patient: patient, Locality: "leek"}
	if err := r.CheckRepeat(same); err != nil {
		t.Fatalf("the same request repeated (state moved on, wording changed): %v", err)
	}
	other := patient
	other.NHSNumber = nhsnumber.MustParse("9876543210")
	for name, change := range map[string]func(*domain.NewRequest){
		"another patient":  func(n *domain.NewRequest) { n.Patient = other },
		"another locality": func(n *domain.NewRequest) { n.Locality = "tamworth" },
		"another source":   func(n *domain.NewRequest) { n.Source = domain.SourceICT },
		"another type":     func(n *domain.NewRequest) { n.Type, n.Source = domain.StepDown, domain.SourceAcute },
	} {
		in := same
		change(&in)
		err := r.CheckRepeat(in)
		wantError(t, nil, err, errs.KindConflict, "command-id-reused", "already used for another bed request")
		if strings.Contains(err.Error(), nhs.String()) || strings.Contains(err.Error(), "leek") {
			t.Fatalf("%s: the conflict names the other request: %v", name, err)
		}
	}
	if err := domain.NewBedRequest("r2").CheckRepeat(same); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("a request never raised repeats nothing: %v", err)
	}
}

func TestBedRequest_Accept_when_declined_is_rejected_naming_the_state(t *testing.T) {
	r := given(domain.NewBedRequest("r1"), raised("r1"), domain.BedRequestDeclined{RequestID: "r1", Reason: "no longer needed"})
	evs, err := r.Accept("u1", t0)
	wantError(t, evs, err, errs.KindInvalidInput, "request-not-pending", "cannot accept the bed request: it is declined")
}

func TestBedRequest_Decline_needs_a_reason(t *testing.T) {
	r := given(domain.NewBedRequest("r1"), raised("r1"))
	evs, err := r.Decline("  ", "u1", t0)
	wantError(t, evs, err, errs.KindInvalidInput, "required", "reason")
}

func TestBedRequest_MarkAllocated_needs_an_accepted_request_and_is_idempotent_per_stay(t *testing.T) {
	r := given(domain.NewBedRequest("r1"), raised("r1"))
	evs, err := r.MarkAllocated("s1", bedA, "u1", t0)
	wantError(t, evs, err, errs.KindInvalidInput, "request-not-accepted", "it is pending")
	r = given(r, domain.BedRequestAccepted{RequestID: "r1"}, domain.BedAllocated{RequestID: "r1", StayID: "s1", Location: bedA})
	evs, err = r.MarkAllocated("s1", bedA, "u1", t0)
	wantEvents(t, evs, err)
	evs, err = r.MarkAllocated("s2", bedB, "u1", t0)
	wantError(t, evs, err, errs.KindInvalidInput, "request-not-accepted", "it is allocated")
}

// ---- beds ----

func reserved(stay string) domain.BedReserved {
	return domain.BedReserved{BedID: bedA.BedID, StayID: stay, NHSNumber: nhs, ReservedAt: t0}
}

func TestBed_with_no_history_is_available_at_revision_minus_one(t *testing.T) {
	b := domain.NewBed(bedA.BedID)
	if b.Status() != domain.Available || b.Version() != -1 {
		t.Fatalf("new bed %s at %d", b.Status(), b.Version())
	}
}

func TestBed_Reserve_when_occupied_is_rejected_naming_the_state(t *testing.T) {
	b := given(domain.NewBed(bedA.BedID), reserved("s1"), domain.BedOccupied{BedID: bedA.BedID, StayID: "s1"})
	evs, err := b.Reserve(domain.Reservation{StayID: "s2"}, b.Version(), t0)
	wantError(t, evs, err, errs.KindInvalidInput, "bed-not-available", "cannot allocate the bed: it is occupied")
}

func TestBed_Reserve_against_a_stale_revision_is_a_conflict_even_when_free(t *testing.T) {
	// Reserved and released since the claim saw it at -1.
	b := given(domain.NewBed(bedA.BedID), reserved("s1"), domain.BedReservationReleased{BedID: bedA.BedID, StayID: "s1"})
	evs, err := b.Reserve(domain.Reservation{StayID: "s2"}, -1, t0)
	wantError(t, evs, err, errs.KindConflict, "bed-changed", "reload")
	evs, err = b.Reserve(domain.Reservation{StayID: "s2", NHSNumber: nhs}, 1, t0)
	wantEvents(t, evs, err, domain.BedReserved{BedID: bedA.BedID, StayID: "s2", NHSNumber: nhs, ReservedAt: t0})
}

func TestBed_Reserve_for_the_stay_already_holding_it_changes_nothing(t *testing.T) {
	b := given(domain.NewBed(bedA.BedID), reserved("s1"))
	evs, err := b.Reserve(domain.Reservation{StayID: "s1"}, -1, t0)
	wantEvents(t, evs, err)
}

func TestBed_AbandonAllocation_fences_the_claim_or_reports_that_it_landed(t *testing.T) {
	b := domain.NewBed(bedA.BedID)
	evs, err := b.AbandonAllocation("s1", -1, t0)
	wantEvents(t, evs, err, domain.BedAllocationAbandoned{BedID: bedA.BedID, StayID: "s1", AbandonedAt: t0})
	b = given(b, evs...)
	// The abandoned claim's reservation can no longer land.
	if _, err := b.Reserve(domain.Reservation{StayID: "s1"}, -1, t0); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("stale reservation after abandonment: %v", err)
	}
	// Past the fence already: nothing to write.
	evs, err = b.AbandonAllocation("s1", -1, t0)
	wantEvents(t, evs, err)
	landed := given(domain.NewBed(bedA.BedID), reserved("s2"))
	evs, err = landed.AbandonAllocation("s2", -1, t0)
	wantError(t, evs, err, errs.KindConflict, domain.SlugAllocationLanded, "reached")
}

func TestBed_Occupy_needs_the_reservation_of_that_stay(t *testing.T) {
	b := given(domain.NewBed(bedA.BedID), reserved("s1"))
	evs, err := b.Occupy("s2", domain.OccupiedOnAdmission, t0)
	wantError(t, evs, err, errs.KindInvalidInput, "bed-not-reserved-for-stay", "reserved for another patient")
	evs, err = domain.NewBed(bedA.BedID).Occupy("s1", domain.OccupiedOnAdmission, t0)
	wantError(t, evs, err, errs.KindInvalidInput, "bed-not-reserved-for-stay", "it is available")
	evs, err = b.Occupy("s1", domain.OccupiedOnAdmission, t0)
	wantEvents(t, evs, err, domain.BedOccupied{BedID: bedA.BedID, StayID: "s1", NHSNumber: nhs, Reason: domain.OccupiedOnAdmission, OccupiedAt: t0})
}

func TestBed_vacated_bed_awaits_clean_then_is_available(t *testing.T) {
	b := given(domain.NewBed(bedA.BedID), reserved("s1"), domain.BedOccupied{BedID: bedA.BedID, StayID: "s1", OccupiedAt: t0})
	evs, err := b.Vacate("s1", domain.VacatedOnDischarge, t0.Add(time.Hour))
	wantEvents(t, evs, err, domain.BedVacated{BedID: bedA.BedID, StayID: "s1", Reason: domain.VacatedOnDischarge, VacatedAt: t0.Add(time.Hour)})
	b = given(b, evs...)
	if b.Status() != domain.AwaitingClean || b.Holder() != "" {
		t.Fatalf("after vacate: %s held by %q", b.Status(), b.Holder())
	}
	// A repeated vacate of the same stay changes nothing.
	evs, err = b.Vacate("s1", domain.VacatedOnDischarge, t0.Add(time.Hour))
	wantEvents(t, evs, err)
	evs, err = b.Reserve(domain.Reservation{StayID: "s2"}, b.Version(), t0)
	wantError(t, evs, err, errs.KindInvalidInput, "bed-not-available", "it is awaiting clean")
	evs, err = b.MarkClean("u1", t0)
	wantError(t, evs, err, errs.KindInvalidInput, "time-before-vacated", "")
	evs, err = b.MarkClean("u1", t0.Add(2*time.Hour))
	wantEvents(t, evs, err, domain.BedCleaned{BedID: bedA.BedID, CleanedAt: t0.Add(2 * time.Hour), CleanedBy: "u1"})
	if b = given(b, evs...); b.Status() != domain.Available {
		t.Fatalf("after clean: %s", b.Status())
	}
}

func TestBed_Close_when_occupied_is_rejected(t *testing.T) {
	b := given(domain.NewBed(bedA.BedID), reserved("s1"), domain.BedOccupied{BedID: bedA.BedID, StayID: "s1"})
	evs, err := b.Close(domain.Closed, domain.ClosureStaffing, "", "u1", t0)
	wantError(t, evs, err, errs.KindInvalidInput, "bed-in-use", "cannot close the bed: it is occupied")
}

func TestBed_closed_while_awaiting_clean_reopens_awaiting_clean(t *testing.T) {
	b := given(domain.NewBed(bedA.BedID), reserved("s1"), domain.BedOccupied{BedID: bedA.BedID, StayID: "s1"},
		domain.BedVacated{BedID: bedA.BedID, StayID: "s1"}, domain.BedClosed{BedID: bedA.BedID, Status: domain.Closed, Reason: domain.ClosureEstates})
	evs, err := b.Reopen("u1", t0)
	wantEvents(t, evs, err, domain.BedReopened{BedID: bedA.BedID, Status: domain.AwaitingClean, ReopenedAt: t0, ReopenedBy: "u1"})
}

func TestBed_contaminated_bed_is_reopened_by_cleaning_it(t *testing.T) {
	b := given(domain.NewBed(bedA.BedID), domain.BedClosed{BedID: bedA.BedID, Status: domain.Contaminated, Reason: domain.ClosureInfectionControl, ClosedAt: t0})
	evs, err := b.Reopen("u1", t0)
	wantError(t, evs, err, errs.KindInvalidInput, "bed-contaminated", "mark it clean")
	evs, err = b.MarkClean("u1", t0.Add(time.Hour))
	wantEvents(t, evs, err, domain.BedCleaned{BedID: bedA.BedID, CleanedAt: t0.Add(time.Hour), CleanedBy: "u1"})
}

func TestBedStatus_maps_to_HL7_table_0116(t *testing.T) {
	want := map[domain.BedStatus]string{domain.Available: "U", domain.Occupied: "O", domain.AwaitingClean: "H", domain.Closed: "C", domain.Contaminated: "K", domain.Isolated: "I", domain.Reserved: ""}
	for s, code := range want {
		if s.HL7() != code {
			t.Errorf("%s is %q, want %q", s, s.HL7(), code)
		}
	}
}

// ---- placements ----

func allocated(stay string, bed hospitals.Location) domain.StayAllocated {
	return domain.StayAllocated{StayID: stay, RequestID: "r-" + stay, Patient: patient, Locality: "leek", Location: bed, BedRevision: -1, AllocatedAt: t0}
}

func admitted(stay string, at time.Time) []aggregate.Event {
	return []aggregate.Event{allocated(stay, bedA), domain.StayBedConfirmed{StayID: stay, BedID: bedA.BedID},
		domain.PatientAdmitted{StayID: stay, BedRequestID: "r-" + stay, Patient: patient, Locality: "leek", HospitalID: bedA.HospitalID, WardID: bedA.WardID, BedID: bedA.BedID, AdmittedAt: at}}
}

func TestPlacement_Allocate_when_the_patient_is_already_in_a_bed_is_rejected(t *testing.T) {
	p := given(domain.NewPlacement("k"), admitted("s1", t0)...)
	evs, err := p.Allocate(domain.NewStay{StayID: "s2", Bed: bedB, Patient: patient, Locality: "leek"}, t0, t0)
	wantError(t, evs, err, errs.KindInvalidInput, domain.SlugPatientAlreadyPlaced, "cannot allocate a bed: the patient is already in a bed")
}

func TestPlacement_Allocate_while_another_claim_waits_for_its_bed_is_in_progress(t *testing.T) {
	p := given(domain.NewPlacement("k"), allocated("s1", bedA))
	evs, err := p.Allocate(domain.NewStay{StayID: "s2", Bed: bedB}, t0, t0)
	wantError(t, evs, err, errs.KindConflict, domain.SlugAllocationInProgress, "in progress")
}

func TestPlacement_failed_allocation_frees_the_patient_and_is_remembered(t *testing.T) {
	p := given(domain.NewPlacement("k"), allocated("s1", bedA))
	evs, err := p.FailAllocation("s1", "bed-changed")
	wantEvents(t, evs, err, domain.StayAllocationFailed{StayID: "s1", BedID: bedA.BedID, Reason: "bed-changed"})
	p = given(p, evs...)
	if _, open := p.Open(); open || p.Ended("s1") != "bed-changed" {
		t.Fatalf("after failure: open %v, ended %q", open, p.Ended("s1"))
	}
	evs, err = p.Admit("s1", t0)
	wantError(t, evs, err, errs.KindInvalidInput, "stay-never-began", "cannot admit the patient: it is an allocation that did not complete")
	evs, err = p.Allocate(domain.NewStay{StayID: "s2", Bed: bedB, Patient: patient}, t0, t0)
	if err != nil || len(evs) != 1 {
		t.Fatalf("a new allocation after a failed one: %v %v", evs, err)
	}
}

func TestPlacement_Admit_before_the_bed_is_confirmed_is_in_progress(t *testing.T) {
	p := given(domain.NewPlacement("k"), allocated("s1", bedA))
	evs, err := p.Admit("s1", t0)
	wantError(t, evs, err, errs.KindConflict, domain.SlugAllocationInProgress, "")
}

func TestPlacement_Discharge_when_not_admitted_is_rejected_naming_the_state(t *testing.T) {
	p := given(domain.NewPlacement("k"), allocated("s1", bedA), domain.StayBedConfirmed{StayID: "s1"})
	evs, err := p.Discharge("s1", domain.Discharge{Pathway: domain.P0, Destination: "home"}, t0)
	wantError(t, evs, err, errs.KindInvalidInput, "stay-not-admitted", "cannot discharge the patient: it is not yet admitted (reserved a bed)")
}

func TestPlacement_Discharge_raises_the_published_event(t *testing.T) {
	p := given(domain.NewPlacement("k"), admitted("s1", t0)...)
	evs, err := p.Discharge("s1", domain.Discharge{Pathway: domain.P1, Destination: "Home with reablement", ICTReferral: true, Reason: "Falls prevention review"}, t0.Add(72*time.Hour))
	reason := "Falls prevention review"
	wantEvents(t, evs, err, domain.PatientDischarged{StayID: "s1", Patient: patient, Locality: "leek", Pathway: domain.P1, Destination: "Home with reablement",
		FollowUp: domain.FollowUp{ICTReferral: true, Reason: &reason}, DischargedAt: t0.Add(72 * time.Hour)})
	p = given(p, evs...)
	evs, err = p.Discharge("s1", domain.Discharge{Pathway: domain.P1, Destination: "home"}, t0.Add(73*time.Hour))
	wantError(t, evs, err, errs.KindInvalidInput, "stay-discharged", "it is discharged")
}

func TestPlacement_Discharge_with_an_ICT_referral_needs_its_reason(t *testing.T) {
	p := given(domain.NewPlacement("k"), admitted("s1", t0)...)
	evs, err := p.Discharge("s1", domain.Discharge{Pathway: domain.P1, Destination: "home", ICTReferral: true}, t0.Add(time.Hour))
	wantError(t, evs, err, errs.KindInvalidInput, "required", "followUp.reason")
	evs, err = p.Discharge("s1", domain.Discharge{Pathway: "P4", Destination: "home"}, t0.Add(time.Hour))
	wantError(t, evs, err, errs.KindInvalidInput, "enum", "pathway")
	evs, err = p.Discharge("s1", domain.Discharge{Pathway: domain.P0, Destination: "home"}, t0.Add(-time.Hour))
	wantError(t, evs, err, errs.KindInvalidInput, "time-before-admission", "dischargedAt")
}

func TestPlacement_NoCriteriaToReside_cannot_start_before_admission(t *testing.T) {
	p := given(domain.NewPlacement("k"), admitted("s1", t0)...)
	evs, err := p.RecordNoCriteriaToReside("s1", t0.Add(-time.Hour), domain.DelayAwaitingCareHome)
	wantError(t, evs, err, errs.KindInvalidInput, "since-before-admission", "since")
	evs, err = p.RecordNoCriteriaToReside("s1", t0.Add(48*time.Hour), domain.DelayAwaitingCareHome)
	wantEvents(t, evs, err, domain.NoCriteriaToResideRecorded{StayID: "s1", Since: t0.Add(48 * time.Hour), DelayReason: domain.DelayAwaitingCareHome})
	p = given(p, evs...)
	evs, err = p.RecordNoCriteriaToReside("s1", t0.Add(48*time.Hour), domain.DelayAwaitingCareHome)
	wantEvents(t, evs, err)
}

func TestPlacement_transfer_claims_then_moves_and_blocks_discharge_meanwhile(t *testing.T) {
	p := given(domain.NewPlacement("k"), admitted("s1", t0)...)
	evs, err := p.StartTransfer("s1", bedA, domain.TransferCloserToHome, 3, t0.Add(time.Hour), t0)
	wantError(t, evs, err, errs.KindInvalidInput, "same-bed", "toBedId")
	evs, err = p.StartTransfer("s1", bedB, domain.TransferCloserToHome, 3, t0.Add(time.Hour), t0.Add(2*time.Hour))
	wantEvents(t, evs, err, domain.StayTransferStarted{StayID: "s1", To: bedB, Reason: domain.TransferCloserToHome, BedRevision: 3, StartedAt: t0.Add(time.Hour), ClaimedAt: t0.Add(2 * time.Hour)})
	p = given(p, evs...)
	evs, err = p.StartTransfer("s1", bedB, domain.TransferCloserToHome, 3, t0.Add(time.Hour), t0)
	wantError(t, evs, err, errs.KindConflict, domain.SlugTransferInProgress, "")
	evs, err = p.Discharge("s1", domain.Discharge{Pathway: domain.P0, Destination: "home"}, t0.Add(2*time.Hour))
	wantError(t, evs, err, errs.KindConflict, domain.SlugTransferInProgress, "")
	evs, err = p.CompleteTransfer("s1", bedB.BedID, 2, t0.Add(time.Hour))
	wantError(t, evs, err, errs.KindInvalidInput, "no-transfer", "not being transferred")
	evs, err = p.FailTransfer("s1", bedB.BedID, 2, "an older claim")
	wantEvents(t, evs, err)
	evs, err = p.CompleteTransfer("s1", bedB.BedID, 3, t0.Add(time.Hour))
	wantEvents(t, evs, err, domain.PatientTransferred{StayID: "s1", From: bedA, To: bedB, Reason: domain.TransferCloserToHome, TransferredAt: t0.Add(time.Hour)})
	p = given(p, evs...)
	if s, _ := p.Open(); s.Bed != bedB || s.Transfer != nil {
		t.Fatalf("after transfer the stay is in %+v (pending %+v)", s.Bed, s.Transfer)
	}
}

func TestNewPatient_requires_an_NHS_number_with_a_valid_check_digit(t *testing.T) {
	_, err := domain.NewPatient("patient", domain.PatientInput{GivenName: "A", FamilyName: "B"}, t0)
	if e, _ := errs.As(err); e == nil || e.Field != "patient.nhsNumber" {
		t.Fatalf("missing number: %v", err)
	}
	_, err = domain.NewPatient("patient", domain.PatientInput{NHSNumber: "9434765918", GivenName: "A", FamilyName: "B"}, t0)
	if e, _ := errs.As(err); e == nil || e.Field != "patient.nhsNumber" || strings.Contains(e.Error(), "9434765918") {
		t.Fatalf("bad check digit: %v", err)
	}
	p, err := domain.NewPatient("patient", domain.PatientInput{NHSNumber: "943 476 5919", GivenName: "Jean", FamilyName: "Smith", DateOfBirth: "1941-03-02", Postcode: "st13 5bq"}, t0)
	if err != nil || p.NHSNumber.String() != "9434765919" || *p.Postcode != "ST13 5BQ" || p.Verification != nhsnumber.Unverified || p.GPPractice != nil {
		t.Fatalf("%+v %v", p, err)
	}
}

func TestBedRequest_CancelAllocation_returns_the_request_to_the_list(t *testing.T) {
	r := given(domain.NewBedRequest("r1"), raised("r1"), domain.BedRequestAccepted{RequestID: "r1"}, domain.BedAllocated{RequestID: "r1", StayID: "s1", Location: bedA})
	evs, err := r.CancelAllocation("s2", "conveyed to ED", "u1", t0)
	wantError(t, evs, err, errs.KindInvalidInput, "request-not-allocated", "cannot cancel the allocation: it is allocated")
	evs, err = r.CancelAllocation("s1", "Conveyed to ED", "u1", t0)
	wantEvents(t, evs, err, domain.BedAllocationCancelled{RequestID: "r1", StayID: "s1", Reason: "Conveyed to ED", CancelledAt: t0, CancelledBy: "u1"})
	r = given(r, evs...)
	if r.Status() != domain.RequestAccepted || r.CheckAllocatable() != nil {
		t.Fatalf("after cancellation the request is %s", r.Status())
	}
}

func TestBed_ReleaseReservation_is_refused_once_the_patient_is_in_the_bed(t *testing.T) {
	b := given(domain.NewBed(bedA.BedID), reserved("s1"), domain.BedOccupied{BedID: bedA.BedID, StayID: "s1"})
	evs, err := b.ReleaseReservation("s1", "cancelled", t0)
	wantError(t, evs, err, errs.KindInvalidInput, "patient-arrived", "occupied")
	evs, err = domain.NewBed(bedA.BedID).ReleaseReservation("s1", "cancelled", t0)
	wantEvents(t, evs, err)
}
