package service_test

import (
	"context"
	"testing"
	"time"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"

	"carecoord/services/beds/invariants"
	"carecoord/services/beds/service"
)

// newService runs the service on a store the test can read.
func newService(t *testing.T, o service.TestOptions) (*client, eventstore.Store) {
	t.Helper()
	if o.Store == nil {
		s, err := embedded.Open(t.TempDir(), embedded.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		o.Store = s
	}
	return newClient(t, service.NewForTestWith(t, o)), o.Store
}

func checkInvariants(t *testing.T, s eventstore.Store) invariants.Report {
	t.Helper()
	r, err := invariants.Check(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("invariants broken: %s", r)
	}
	return r
}

const stayFields = `id status bedId wardId hospitalId localityId admittedAt dischargedAt pathway destination
  followUp { ictReferral reason } transfers { fromBedId toBedId reason }
  noCriteriaToReside { since delayReason daysDelayed } patient { nhsNumber givenName }`

func TestBedStay_full_cycle_request_allocate_admit_transfer_nctr_discharge_clean(t *testing.T) {
	clock := newClock()
	c, store := newService(t, service.TestOptions{Now: clock.Now})
	p := people(1, "leek")[0]

	// An ICT clinician of Leek asks for a step-up bed.
	d := c.ok(ictLeek, raiseMutation, map[string]any{"input": map[string]any{
		"type": "STEP_UP", "source": "ICT", "priority": "URGENT", "clinicalNeed": "Frailty decompensation; carer unable to cope",
		"patient": patientVars(p),
	}})
	reqID := str(d, "raiseBedRequest", "id")
	if str(d, "raiseBedRequest", "status") != "PENDING" || str(d, "raiseBedRequest", "localityId") != "leek" {
		t.Fatalf("raised %v", d)
	}
	clock.Add(3 * time.Hour)
	d = c.ok(bedManager, `{ bedRequests(status: [PENDING]) { id priority ageMinutes } }`, nil)
	if str(d, "bedRequests", 0, "id") != reqID || path(d, "bedRequests", 0, "ageMinutes").(float64) != 180 {
		t.Fatalf("pending list %v", d)
	}

	// The bed manager accepts it and allocates a bed at Leek Moorlands.
	d = c.ok(bedManager, `mutation($id: ID!) { decideBedRequest(input: {bedRequestId: $id, decision: ACCEPT}) { status decidedAt } }`, map[string]any{"id": reqID})
	if str(d, "decideBedRequest", "status") != "ACCEPTED" {
		t.Fatalf("decided %v", d)
	}
	res := c.allocate(bedManager, reqID, "leek-moorlands-w1-01", "alloc-1")
	if len(res.Errors) > 0 {
		t.Fatalf("allocate: %+v", res.Errors)
	}
	stayID := str(res.Data, "allocateBed", "id")
	if str(res.Data, "allocateBed", "status") != "RESERVED" {
		t.Fatalf("allocated %v", res.Data)
	}
	if st, holder := c.bedStatus("leek-moorlands-w1-01"); st != "RESERVED" || holder != stayID {
		t.Fatalf("bed after allocation: %s held by %q", st, holder)
	}
	d = c.ok(bedManager, `query($id: ID!) { bedRequest(id: $id) { status stayId bedId } }`, map[string]any{"id": reqID})
	if str(d, "bedRequest", "status") != "ALLOCATED" || str(d, "bedRequest", "stayId") != stayID {
		t.Fatalf("request after allocation %v", d)
	}

	// The patient arrives two hours later; it is recorded after the fact.
	arrived := clock.Now().Add(2 * time.Hour)
	clock.Add(3 * time.Hour)
	d = c.ok(bedManager, `mutation($id: ID!, $at: String) { admitPatient(input: {stayId: $id, admittedAt: $at}) { `+stayFields+` } }`,
		map[string]any{"id": stayID, "at": arrived.Format(time.RFC3339)})
	if str(d, "admitPatient", "status") != "ADMITTED" {
		t.Fatalf("admitted %v", d)
	}
	if st, _ := c.bedStatus("leek-moorlands-w1-01"); st != "OCCUPIED" {
		t.Fatalf("bed after admission: %s", st)
	}
	d = c.ok(bedManager, `{ bedOccupancy { overall { occupied open total occupancyPercent } hospitals { hospitalId figures { occupied } } } }`, nil)
	if path(d, "bedOccupancy", "overall", "occupied").(float64) != 1 {
		t.Fatalf("occupancy %v", d)
	}

	// Reallocated to Cheadle to balance the hospitals.
	clock.Add(24 * time.Hour)
	d = c.ok(bedManager, `mutation($id: ID!) { transferPatient(input: {stayId: $id, toBedId: "cheadle-w1-02", reason: CAPACITY_BALANCING}) { `+stayFields+` } }`,
		map[string]any{"id": stayID})
	if str(d, "transferPatient", "bedId") != "cheadle-w1-02" || str(d, "transferPatient", "hospitalId") != "cheadle" ||
		str(d, "transferPatient", "transfers", 0, "fromBedId") != "leek-moorlands-w1-01" {
		t.Fatalf("transferred %v", d)
	}
	if st, _ := c.bedStatus("leek-moorlands-w1-01"); st != "AWAITING_CLEAN" {
		t.Fatalf("old bed after transfer: %s", st)
	}
	if st, holder := c.bedStatus("cheadle-w1-02"); st != "OCCUPIED" || holder != stayID {
		t.Fatalf("new bed after transfer: %s held by %q", st, holder)
	}

	// Medically optimised 50 hours ago, waiting for a care home.
	clock.Add(3 * 24 * time.Hour)
	d = c.ok(bedManager, `mutation($id: ID!, $since: String) { recordNoCriteriaToReside(input: {stayId: $id, delayReason: AWAITING_CARE_HOME_PLACEMENT, since: $since}) { `+stayFields+` } }`,
		map[string]any{"id": stayID, "since": clock.Now().Add(-50 * time.Hour).Format(time.RFC3339)})
	if path(d, "recordNoCriteriaToReside", "noCriteriaToReside", "daysDelayed").(float64) != 2 {
		t.Fatalf("nctr %v", d)
	}
	d = c.ok(bedManager, `{ noCriteriaToResidePatients { id noCriteriaToReside { delayReason daysDelayed } } }`, nil)
	if str(d, "noCriteriaToResidePatients", 0, "id") != stayID {
		t.Fatalf("nctr list %v", d)
	}
	d = c.ok(ictLeek, `{ locality(id: "leek") { patientsInBeds { id } summary { bedsOccupied bedPatientsNoCriteriaToReside bedRequestsPending } } }`, nil)
	if str(d, "locality", "patientsInBeds", 0, "id") != stayID || path(d, "locality", "summary", "bedPatientsNoCriteriaToReside").(float64) != 1 {
		t.Fatalf("locality view %v", d)
	}

	clock.Add(24 * time.Hour)
	d = c.ok(bedManager, `{ noCriteriaToResidePatients { noCriteriaToReside { daysDelayed } } }`, nil)
	if path(d, "noCriteriaToResidePatients", 0, "noCriteriaToReside", "daysDelayed").(float64) != 3 {
		t.Fatalf("a day later %v", d)
	}

	// Discharged home with new support and a referral back to the ICT.
	d = c.ok(bedManager, `mutation($id: ID!) { dischargePatient(input: {stayId: $id, pathway: P1, destination: "Home with reablement package",
		followUp: {ictReferral: true, reason: "Falls prevention and medication review"}}, commandId: "discharge-1") { `+stayFields+` } }`, map[string]any{"id": stayID})
	if str(d, "dischargePatient", "status") != "DISCHARGED" || str(d, "dischargePatient", "pathway") != "P1" || path(d, "dischargePatient", "followUp", "ictReferral") != true {
		t.Fatalf("discharged %v", d)
	}
	d = c.ok(bedManager, `{ bedsAwaitingClean { id awaitingCleanMinutes } }`, nil)
	if n := len(path(d, "bedsAwaitingClean").([]any)); n != 2 {
		t.Fatalf("%d beds awaiting clean, want the two the patient used: %v", n, d)
	}

	// Housekeeping cleans both, 90 minutes later.
	clock.Add(90 * time.Minute)
	for _, bed := range []string{"leek-moorlands-w1-01", "cheadle-w1-02"} {
		d = c.ok(bedManager, `mutation($b: ID!) { markBedClean(input: {bedId: $b}) { status } }`, map[string]any{"b": bed})
		if str(d, "markBedClean", "status") != "AVAILABLE" {
			t.Fatalf("cleaned %v", d)
		}
	}
	d = c.ok(bedManager, `{ bedCleaningTurnaround { cleans meanMinutes } bedsAwaitingClean { id } }`, nil)
	// Leek's bed waited from the transfer (four days), Cheadle's 90 minutes.
	if path(d, "bedCleaningTurnaround", "cleans").(float64) != 2 || len(path(d, "bedsAwaitingClean").([]any)) != 0 {
		t.Fatalf("after cleaning %v", d)
	}

	// The patient's view: one stay, and a timeline in time order.
	d = c.ok(ictLeek, `query($n: String!) { patient(nhsNumber: $n) { bedStays { id status } timeline { at service type summary refId } } }`, map[string]any{"n": p.NHSNumber.String()})
	if str(d, "patient", "bedStays", 0, "id") != stayID || len(path(d, "patient", "bedStays").([]any)) != 1 {
		t.Fatalf("patient stays %v", d)
	}
	var types []string
	prev := ""
	for _, e := range path(d, "patient", "timeline").([]any) {
		types = append(types, str(e, "type"))
		if at := str(e, "at"); at < prev {
			t.Fatalf("timeline out of order: %v", d)
		} else {
			prev = at
		}
		if str(e, "service") != "beds" {
			t.Fatalf("timeline entry from %q", str(e, "service"))
		}
	}
	// The NCTR entry is placed at its since, before it was recorded: the
	// timeline is in the order things happened.
	want := []string{"BedRequestRaised", "BedRequestAccepted", "BedAllocated", "PatientAdmitted", "PatientTransferred", "NoCriteriaToResideRecorded", "PatientDischarged"}
	if !equal(types, want) {
		t.Fatalf("timeline %v, want %v", types, want)
	}

	// A clinician of another locality sees none of it.
	d = c.ok(ictTamw, `query($n: String!) { patient(nhsNumber: $n) { bedStays { id } timeline { type } } }`, map[string]any{"n": p.NHSNumber.String()})
	if len(path(d, "patient", "bedStays").([]any)) != 0 || len(path(d, "patient", "timeline").([]any)) != 0 {
		t.Fatalf("a Tamworth clinician saw a Leek patient: %v", d)
	}
	c.fails(ictTamw, "FORBIDDEN", `{ locality(id: "leek") { patientsInBeds { id } } }`, nil)

	r := checkInvariants(t, store)
	if r.Admissions != 1 || r.Transfers != 1 || r.Discharges != 1 {
		t.Fatalf("log holds %s", r)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
