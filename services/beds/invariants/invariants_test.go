package invariants_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/nhsnumber"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/hospitals"
	"carecoord/services/beds/invariants"
)

var (
	jean = nhsnumber.MustParse("9434765919")
	bedA = hospitals.Location{HospitalID: "h", WardID: "w", BedID: "a"}
	bedB = hospitals.Location{HospitalID: "h", WardID: "w", BedID: "b"}
)

// logOf writes events straight to a store, bypassing every check, as a
// buggy writer could.
func logOf(t *testing.T, evs ...aggregate.Event) eventstore.Store {
	t.Helper()
	s, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, e := range evs {
		data, _ := json.Marshal(e)
		if _, err := s.Append(context.Background(), "x-"+uuid.NewString(), eventstore.Any, eventstore.EventData{ID: uuid.New(), Type: e.EventType(), Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func check(t *testing.T, s eventstore.Store) invariants.Report {
	t.Helper()
	r, err := invariants.Check(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func admitted(stay string, bed hospitals.Location) []aggregate.Event {
	return []aggregate.Event{
		domain.StayAllocated{StayID: stay, Location: bed, Patient: domain.Patient{NHSNumber: jean}},
		domain.BedReserved{BedID: bed.BedID, StayID: stay, NHSNumber: jean},
		domain.StayBedConfirmed{StayID: stay, BedID: bed.BedID},
		domain.BedOccupied{BedID: bed.BedID, StayID: stay, NHSNumber: jean},
		domain.PatientAdmitted{StayID: stay, HospitalID: bed.HospitalID, WardID: bed.WardID, BedID: bed.BedID},
	}
}

func TestCheck_a_clean_cycle_has_no_violations(t *testing.T) {
	evs := admitted("s1", bedA)
	evs = append(evs,
		domain.StayTransferStarted{StayID: "s1", To: bedB},
		domain.BedReserved{BedID: "b", StayID: "s1", NHSNumber: jean, ForTransfer: true},
		domain.BedVacated{BedID: "a", StayID: "s1"},
		domain.BedOccupied{BedID: "b", StayID: "s1", NHSNumber: jean},
		domain.PatientTransferred{StayID: "s1", From: bedA, To: bedB},
		domain.BedCleaned{BedID: "a"},
		domain.BedVacated{BedID: "b", StayID: "s1"},
		domain.PatientDischarged{StayID: "s1"},
	)
	if r := check(t, logOf(t, evs...)); !r.OK() || r.Admissions != 1 || r.Transfers != 1 || r.Discharges != 1 {
		t.Fatalf("%s", r)
	}
}

func TestCheck_finds_what_a_buggy_writer_would_leave(t *testing.T) {
	cases := map[string]struct {
		log  []aggregate.Event
		want string
	}{
		"two reservations of one bed": {
			append(admitted("s1", bedA), domain.BedReserved{BedID: "a", StayID: "s2", NHSNumber: nhsnumber.MustParse("9990000018")}),
			"bed a reserved for stay s2 while held by stay s1"},
		"a patient in two beds": {
			append(admitted("s1", bedA), admitted("s2", bedB)...),
			"while its patient holds bed a for stay s1"},
		"a discharge while in the bed": {
			append(admitted("s1", bedA), domain.PatientDischarged{StayID: "s1"}),
			"stay s1 discharged while holding bed a"},
		"an occupation without a reservation": {
			[]aggregate.Event{domain.BedOccupied{BedID: "a", StayID: "s1", NHSNumber: jean}},
			"bed a occupied by stay s1 without its reservation"},
		"an admission to a bed not occupied": {
			[]aggregate.Event{domain.StayAllocated{StayID: "s1", Location: bedA}, domain.PatientAdmitted{StayID: "s1", BedID: "a"}},
			"stay s1 admitted to bed a, which it does not occupy"},
		"a bed cleaned under a patient": {
			append(admitted("s1", bedA), domain.BedCleaned{BedID: "a"}),
			"bed a changed state"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := check(t, logOf(t, tc.log...))
			if r.OK() || !strings.Contains(r.String(), tc.want) {
				t.Fatalf("want a violation %q, got %s", tc.want, r)
			}
			if strings.Contains(r.String(), jean.String()) {
				t.Fatal("a violation names the patient")
			}
		})
	}
}
