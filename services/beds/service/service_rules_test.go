package service_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/auth"

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

// A commandId is the client's idempotency key: repeating a command answers
// with its first result. A commandId already used for another request is a
// CONFLICT that shows nothing of that request, whoever asks and whatever
// they send.
func TestRaiseBedRequest_with_a_commandId_used_for_another_request_is_a_conflict_that_shows_nothing(t *testing.T) {
	c, store := newService(t, service.TestOptions{})
	tamworth := people(1, "tamworth")[0]
	leek := people(1, "leek")[0]
	step := func(p any, source, cid string) map[string]any {
		return map[string]any{"cid": cid, "input": map[string]any{"type": "STEP_UP", "source": source, "priority": "URGENT", "clinicalNeed": "x", "patient": p}}
	}
	first := c.ok(ictTamw, raiseMutation, step(patientVars(tamworth), "ICT", "cmd-tamworth-1"))
	id := str(first, "raiseBedRequest", "id")

	// The same command again answers with the first request and writes nothing.
	before := head(t, store)
	if again := c.ok(ictTamw, raiseMutation, step(patientVars(tamworth), "ICT", "cmd-tamworth-1")); str(again, "raiseBedRequest", "id") != id {
		t.Fatalf("a repeat answered %v, want request %s", again, id)
	}

	// Another request with that commandId: a Leek clinician's own patient,
	// a dispatcher's falls request, a bed manager's.
	for _, tc := range []struct {
		who  auth.Viewer
		vars map[string]any
	}{
		{ictLeek, step(patientVars(leek), "ICT", "cmd-tamworth-1")},
		{dispatcher, step(patientVars(leek), "FALLS", "cmd-tamworth-1")},
		{bedManager, step(patientVars(leek), "ICT", "cmd-tamworth-1")},
		{bedManager, step(patientVars(tamworth), "UCR", "cmd-tamworth-1")},
	} {
		res := c.do(tc.who, raiseMutation, tc.vars)
		if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "CONFLICT" || !contains(res.Errors[0].Message, "commandId was already used") {
			t.Fatalf("%s reusing a commandId: %+v", tc.who.Role, res.Errors)
		}
		b, _ := json.Marshal(res)
		if contains(string(b), tamworth.NHSNumber.String()) || contains(string(b), id) {
			t.Fatalf("%s reusing a commandId was shown the other request: %s", tc.who.Role, b)
		}
	}
	if after := head(t, store); after != before {
		t.Fatalf("repeats and conflicts wrote %d events", after-before)
	}
}

// Break-glass opens one patient's record in another locality (their stays
// and requests, by ID or as the patient's, and their timeline), never the
// locality's lists or the bed board's patients, and no command.
func TestBreakGlass_opens_a_patient_not_a_locality(t *testing.T) {
	c, _ := newService(t, service.TestOptions{})
	p := people(1, "tamworth")[0]
	req := c.raiseAccepted(p)
	stay := str(c.allocate(bedManager, req, "sir-robert-peel-w1-01", "").Data, "allocateBed", "id")
	if stay == "" {
		t.Fatal("not allocated")
	}
	c.ok(bedManager, `mutation($id: ID!) { admitPatient(input: {stayId: $id}) { id } }`, map[string]any{"id": stay})
	glass := ictLeek
	glass.BreakGlassReason = "patient collapsed at Leek walk-in centre"
	n := map[string]any{"n": p.NHSNumber.String()}

	// Without the reason: nothing of the patient.
	c.fails(ictLeek, "NOT_FOUND", `query($id: ID!) { bedStay(id: $id) { id } }`, map[string]any{"id": stay})
	// With it: the patient's record.
	if str(c.ok(glass, `query($id: ID!) { bedStay(id: $id) { id bedRequest { id } } }`, map[string]any{"id": stay}), "bedStay", "bedRequest", "id") != req {
		t.Fatal("break-glass does not open the stay and its request")
	}
	c.ok(glass, `query($id: ID!) { bedRequest(id: $id) { id } }`, map[string]any{"id": req})
	d := c.ok(glass, `query($n: String!) { patient(nhsNumber: $n) { bedStays { id } bedRequests { id } timeline { type } } }`, n)
	if len(path(d, "patient", "bedStays").([]any)) != 1 || len(path(d, "patient", "bedRequests").([]any)) != 1 || len(path(d, "patient", "timeline").([]any)) == 0 {
		t.Fatalf("break-glass does not open the patient's beds record: %v", d)
	}
	// Not the lists: Tamworth's patients in beds, the requests, the NCTR
	// list, who is in the bed on the board.
	c.fails(glass, "FORBIDDEN", `{ locality(id: "tamworth") { patientsInBeds { id } } }`, nil)
	d = c.ok(glass, `{ bedRequests { id } noCriteriaToResidePatients { id } bedBoard(hospitalId: "sir-robert-peel") { beds { id stay { id } } } }`, nil)
	b, _ := json.Marshal(d)
	if contains(string(b), stay) || contains(string(b), req) {
		t.Fatalf("break-glass widened a list: %s", b)
	}
	// Not a command.
	step := map[string]any{"input": map[string]any{"type": "STEP_UP", "source": "ICT", "priority": "URGENT", "clinicalNeed": "x", "patient": patientVars(p)}}
	c.fails(glass, "FORBIDDEN", raiseMutation, step)
}

// Locality.summary never refuses, and the beds counts identify no one:
// every signed-in role sees them, on the subgraph and through _entities.
func TestLocalitySummary_bed_counts_for_every_signed_in_role(t *testing.T) {
	c, _ := newService(t, service.TestOptions{})
	c.raiseAccepted(people(1, "tamworth")[0])
	fed, err := c.svc.Subgraph.Federated()
	if err != nil {
		t.Fatal(err)
	}
	entities := func(v auth.Viewer) result {
		res := graphql.Do(graphql.Params{Schema: fed, Context: auth.WithViewer(context.Background(), v),
			RequestString:  `query($r: [_Any!]!) { _entities(representations: $r) { ... on LocalitySummary { localityId bedRequestsPending } } }`,
			VariableValues: map[string]any{"r": []any{map[string]any{"__typename": "LocalitySummary", "localityId": "tamworth"}}}})
		var out result
		b, _ := json.Marshal(res)
		_ = json.Unmarshal(b, &out)
		return out
	}
	for _, v := range []auth.Viewer{ictLeek, ictTamw, bedManager, dispatcher} {
		d := c.ok(v, `{ locality(id: "tamworth") { summary { localityId bedsOccupied bedRequestsPending } } }`, nil)
		if str(d, "locality", "summary", "localityId") != "tamworth" || path(d, "locality", "summary", "bedRequestsPending") != float64(1) {
			t.Fatalf("%s: %v", v.Role, d)
		}
		if res := entities(v); len(res.Errors) > 0 || path(res.Data, "_entities", 0, "bedRequestsPending") != float64(1) {
			t.Fatalf("%s: the LocalitySummary entity: %+v %v", v.Role, res.Errors, res.Data)
		}
	}
	if res := c.do(anonymous, `{ locality(id: "tamworth") { summary { bedsOccupied } } }`, nil); len(res.Errors) == 0 || res.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Fatalf("anonymous: %+v", res.Errors)
	}
}
