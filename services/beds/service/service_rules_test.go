package service_test

import (
	"testing"

	"carecoord/services/beds/service"
)

// Each illegal step is BAD_USER_INPUT naming the current state, and writes
// nothing.
func TestIllegal_steps_are_rejected_naming_the_state_and_write_nothing(t *testing.T) {
	c, store := newService(t, service.TestOptions{})
	ps := people(3, "tamworth")

	d := c.ok(bedManager, raiseMutation, map[string]any{"input": map[string]any{
		"type": "STEP_DOWN", "source": "ACUTE", "priority": "ROUTINE", "clinicalNeed": "Rehabilitation after hip fracture", "patient": patientVars(ps[0]),
	}})
	pending := str(d, "raiseBedRequest", "id")
	accepted := c.raiseAccepted(ps[1])
	another := c.raiseAccepted(ps[2])
	res := c.allocate(bedManager, accepted, "sir-robert-peel-w1-01", "")
	stayID := str(res.Data, "allocateBed", "id")
	if stayID == "" {
		t.Fatalf("allocate: %+v", res.Errors)
	}

	cases := []struct {
		name, query, want string
		vars              map[string]any
	}{
		{"allocate a pending request", allocateMutation, "cannot allocate a bed to the request: it is pending",
			map[string]any{"req": pending, "bed": "sir-robert-peel-w1-02"}},
		{"allocate a reserved bed", allocateMutation, "cannot allocate the bed: it is reserved",
			map[string]any{"req": another, "bed": "sir-robert-peel-w1-01"}},
		{"discharge a patient who is not admitted", `mutation($id: ID!) { dischargePatient(input: {stayId: $id, pathway: P0, destination: "Home", followUp: {ictReferral: false}}) { id } }`,
			"cannot discharge the patient: it is not yet admitted (reserved a bed)", map[string]any{"id": stayID}},
		{"transfer a patient who is not admitted", `mutation($id: ID!) { transferPatient(input: {stayId: $id, toBedId: "cheadle-w1-01", reason: CLOSER_TO_HOME}) { id } }`,
			"cannot transfer the patient: it is not yet admitted", map[string]any{"id": stayID}},
		{"record NCTR before admission", `mutation($id: ID!) { recordNoCriteriaToReside(input: {stayId: $id, delayReason: AWAITING_HOUSING}) { id } }`,
			"cannot record no criteria to reside: it is not yet admitted", map[string]any{"id": stayID}},
		{"clean a bed that is available", `mutation { markBedClean(input: {bedId: "cheadle-w1-01"}) { id } }`,
			"cannot mark the bed clean: it is available", nil},
		{"close a reserved bed", `mutation { closeBed(input: {bedId: "sir-robert-peel-w1-01", reason: STAFFING}) { id } }`,
			"cannot close the bed: it is reserved", nil},
		{"reopen an open bed", `mutation { reopenBed(input: {bedId: "cheadle-w1-01"}) { id } }`,
			"cannot reopen the bed: it is available", nil},
		{"accept an accepted request", `mutation($id: ID!) { decideBedRequest(input: {bedRequestId: $id, decision: ACCEPT}) { id } }`,
			"cannot accept the bed request: it is allocated", map[string]any{"id": accepted}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := head(t, store)
			msg := c.fails(bedManager, "BAD_USER_INPUT", tc.query, tc.vars)
			if !contains(msg, tc.want) {
				t.Fatalf("message %q does not say %q", msg, tc.want)
			}
			if after := head(t, store); after != before {
				t.Fatalf("a refused command wrote %d events", after-before)
			}
		})
	}

	// Admitted: now admitting again and closing the bed are refused too.
	c.ok(bedManager, `mutation($id: ID!) { admitPatient(input: {stayId: $id}) { id } }`, map[string]any{"id": stayID})
	before := head(t, store)
	if msg := c.fails(bedManager, "BAD_USER_INPUT", `mutation($id: ID!) { admitPatient(input: {stayId: $id}) { id } }`, map[string]any{"id": stayID}); !contains(msg, "cannot admit the patient: it is already admitted") {
		t.Fatalf("second admission: %q", msg)
	}
	if msg := c.fails(bedManager, "BAD_USER_INPUT", `mutation { closeBed(input: {bedId: "sir-robert-peel-w1-01", reason: ESTATES}) { id } }`, nil); !contains(msg, "it is occupied") {
		t.Fatalf("closing an occupied bed: %q", msg)
	}
	if head(t, store) != before {
		t.Fatal("a refused command wrote")
	}
	checkInvariants(t, store)
}

func TestInput_errors_name_the_field(t *testing.T) {
	c, _ := newService(t, service.TestOptions{})
	p := people(1, "leek")[0]
	vars := patientVars(p)
	vars["nhsNumber"] = "9434765918" // wrong check digit
	res := c.do(bedManager, raiseMutation, map[string]any{"input": map[string]any{
		"type": "STEP_UP", "source": "ICT", "priority": "URGENT", "clinicalNeed": "x", "patient": vars,
	}})
	if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != "patient.nhsNumber" {
		t.Fatalf("%+v", res.Errors)
	}
	if contains(res.Errors[0].Message, "9434765918") {
		t.Fatal("the error echoed the NHS number")
	}
	vars = patientVars(p)
	res = c.do(bedManager, raiseMutation, map[string]any{"input": map[string]any{
		"type": "STEP_UP", "source": "ICT", "priority": "URGENT", "clinicalNeed": "x", "patient": vars, "locality": "tamworth",
	}})
	if len(res.Errors) != 1 || res.Errors[0].Extensions["field"] != "locality" {
		t.Fatalf("locality not matching the practice: %+v", res.Errors)
	}
	c.fails(bedManager, "BAD_USER_INPUT", `mutation { closeBed(input: {bedId: "no-such-bed", reason: STAFFING}) { id } }`, nil)
	c.fails(bedManager, "NOT_FOUND", `mutation { admitPatient(input: {stayId: "4b8e4f3a-0000-4000-8000-000000000000"}) { id } }`, nil)
}

func TestRoles_decide_who_may_do_what(t *testing.T) {
	c, _ := newService(t, service.TestOptions{})
	leek := people(1, "leek")[0]
	tamworth := people(1, "tamworth")[0]
	step := func(p any, source string) map[string]any {
		return map[string]any{"input": map[string]any{"type": "STEP_UP", "source": source, "priority": "URGENT", "clinicalNeed": "x", "patient": p}}
	}
	// An ICT clinician raises step-ups for their own localities only.
	c.ok(ictLeek, raiseMutation, step(patientVars(leek), "ICT"))
	c.fails(ictLeek, "FORBIDDEN", raiseMutation, step(patientVars(tamworth), "ICT"))
	c.fails(ictLeek, "FORBIDDEN", raiseMutation, map[string]any{"input": map[string]any{"type": "STEP_DOWN", "source": "ACUTE", "priority": "URGENT", "clinicalNeed": "x", "patient": patientVars(leek)}})
	// A falls dispatcher raises step-ups from the falls response, anywhere.
	d := c.ok(dispatcher, raiseMutation, step(patientVars(tamworth), "FALLS"))
	reqID := str(d, "raiseBedRequest", "id")
	c.fails(dispatcher, "FORBIDDEN", raiseMutation, step(patientVars(tamworth), "UCR"))
	// Only bed managers decide, allocate and run the beds.
	c.fails(ictLeek, "FORBIDDEN", `mutation($id: ID!) { decideBedRequest(input: {bedRequestId: $id, decision: ACCEPT}) { id } }`, map[string]any{"id": reqID})
	c.fails(dispatcher, "FORBIDDEN", `mutation { closeBed(input: {bedId: "cheadle-w1-01", reason: STAFFING}) { id } }`, nil)
	// Bed managers see every request; a clinician only their localities';
	// a dispatcher those of the falls response.
	if n := len(path(c.ok(bedManager, `{ bedRequests { id } }`, nil), "bedRequests").([]any)); n != 2 {
		t.Fatalf("bed manager sees %d requests", n)
	}
	if d := c.ok(ictLeek, `{ bedRequests { localityId } }`, nil); len(path(d, "bedRequests").([]any)) != 1 || str(d, "bedRequests", 0, "localityId") != "leek" {
		t.Fatalf("Leek clinician sees %v", d)
	}
	if d := c.ok(dispatcher, `{ bedRequests { source } }`, nil); len(path(d, "bedRequests").([]any)) != 1 || str(d, "bedRequests", 0, "source") != "FALLS" {
		t.Fatalf("dispatcher sees %v", d)
	}
	// Anyone signed in sees the board; no one unsigned does.
	c.ok(ictTamw, `{ communityHospitals { id siteCode wards { beds { status } } } }`, nil)
	res := c.do(anonymous, `{ communityHospitals { id } }`, nil)
	if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Fatalf("anonymous: %+v", res.Errors)
	}
}

func TestCancelBedAllocation_frees_the_bed_and_returns_the_request_to_the_list(t *testing.T) {
	c, store := newService(t, service.TestOptions{})
	p := people(1, "stafford")[0]
	req := c.raiseAccepted(p)
	stay := str(c.allocate(bedManager, req, "haywood-w2-01", "").Data, "allocateBed", "id")
	const cancel = `mutation($id: ID!, $cid: String) { cancelBedAllocation(input: {stayId: $id, reason: "Conveyed to ED instead"}, commandId: $cid) { id status } }`

	d := c.ok(bedManager, cancel, map[string]any{"id": stay, "cid": "cancel-1"})
	if str(d, "cancelBedAllocation", "status") != "CANCELLED" {
		t.Fatalf("cancelled %v", d)
	}
	before := head(t, store)
	c.ok(bedManager, cancel, map[string]any{"id": stay, "cid": "cancel-1"})
	if head(t, store) != before {
		t.Fatal("a repeated cancellation wrote")
	}
	if st, _ := c.bedStatus("haywood-w2-01"); st != "AVAILABLE" {
		t.Fatalf("bed after cancellation: %s", st)
	}
	d = c.ok(bedManager, `query($id: ID!) { bedRequest(id: $id) { status stayId } }`, map[string]any{"id": req})
	if str(d, "bedRequest", "status") != "ACCEPTED" || path(d, "bedRequest", "stayId") != nil {
		t.Fatalf("request after cancellation %v", d)
	}
	// The request gets another bed; once the patient is in it, the
	// allocation can no longer be cancelled.
	stay2 := str(c.allocate(bedManager, req, "haywood-w2-02", "").Data, "allocateBed", "id")
	c.ok(bedManager, `mutation($id: ID!) { admitPatient(input: {stayId: $id}) { id } }`, map[string]any{"id": stay2})
	if msg := c.fails(bedManager, "BAD_USER_INPUT", cancel, map[string]any{"id": stay2}); !contains(msg, "cannot cancel the allocation: it is admitted") {
		t.Fatalf("cancelling after admission: %q", msg)
	}
	if msg := c.fails(bedManager, "BAD_USER_INPUT", `mutation($id: ID!) { cancelBedAllocation(input: {stayId: $id, reason: " "}) { id } }`, map[string]any{"id": stay2}); !contains(msg, "reason") {
		t.Fatalf("no reason: %q", msg)
	}
	checkInvariants(t, store)
}
