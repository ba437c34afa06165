package service_test

import (
	"fmt"
	"sync"
	"testing"

	"carecoord/services/beds/hospitals"
	"carecoord/services/beds/service"
)

// A one-ward hospital, so that "the last free bed" is a few allocations away.
func smallEstate(t *testing.T) *hospitals.Registry {
	t.Helper()
	reg, err := hospitals.Parse([]byte(`{"hospitals": [{"id": "tiny", "name": "Tiny Community Hospital", "town": "Tamworth", "locality": "tamworth",
		"wards": [{"id": "tiny-w1", "name": "Ward 1", "beds": 3}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// parallel runs fn for 0..n-1 at once, released together.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

func TestAllocateBed_100_managers_racing_for_the_last_free_bed_one_wins(t *testing.T) {
	c, store := newService(t, service.TestOptions{Hospitals: smallEstate(t)})
	const racers = 100
	ps := people(racers+2, "tamworth")
	reqs := make([]string, len(ps))
	sem := make(chan struct{}, 16)
	parallel(len(ps), func(i int) {
		sem <- struct{}{}
		defer func() { <-sem }()
		reqs[i] = c.raiseAccepted(ps[i])
	})
	// Two of the three beds are taken.
	for i, bed := range []string{"tiny-w1-01", "tiny-w1-02"} {
		if res := c.allocate(bedManager, reqs[racers+i], bed, ""); len(res.Errors) > 0 {
			t.Fatalf("setup: %+v", res.Errors)
		}
	}
	before := head(t, store)

	results := make([]result, racers)
	parallel(racers, func(i int) { results[i] = c.allocate(bedManager, reqs[i], "tiny-w1-03", "") })

	winners, conflicts, refused := 0, 0, 0
	var winner string
	for i, r := range results {
		switch {
		case len(r.Errors) == 0:
			winners++
			winner = str(r.Data, "allocateBed", "id")
		case r.Errors[0].Extensions["code"] == "CONFLICT":
			conflicts++
		case r.Errors[0].Extensions["code"] == "BAD_USER_INPUT" && contains(r.Errors[0].Message, "cannot allocate the bed: it is reserved"):
			refused++
		default:
			t.Fatalf("racer %d: unexpected %+v", i, r.Errors)
		}
	}
	if winners != 1 || conflicts+refused != racers-1 {
		t.Fatalf("%d winners, %d conflicts, %d refused: want exactly one winner", winners, conflicts, refused)
	}
	t.Logf("1 winner, %d CONFLICT, %d BAD_USER_INPUT", conflicts, refused)
	if st, holder := bedOn(c, "tiny", "tiny-w1-03"); st != "RESERVED" || holder != winner {
		t.Fatalf("last bed is %s held by %q, want reserved by the winner %s", st, holder, winner)
	}
	// Every loser's request is still waiting, and no loser holds anything.
	d := c.ok(bedManager, `{ bedRequests(status: [ACCEPTED]) { id } }`, nil)
	if n := len(path(d, "bedRequests").([]any)); n != racers-1 {
		t.Fatalf("%d requests still accepted, want %d", n, racers-1)
	}
	d = c.ok(bedManager, `{ bedOccupancy { overall { reserved available } } }`, nil)
	if path(d, "bedOccupancy", "overall", "reserved").(float64) != 3 || path(d, "bedOccupancy", "overall", "available").(float64) != 0 {
		t.Fatalf("occupancy after the race %v", d)
	}
	checkInvariants(t, store)
	t.Logf("the race wrote %d events", head(t, store)-before)
}

func bedOn(c *client, hospital, bedID string) (status, stayID string) {
	d := c.ok(bedManager, `query($h: ID) { bedBoard(hospitalId: $h) { beds { id status stay { id } } } }`, map[string]any{"h": hospital})
	for _, w := range path(d, "bedBoard").([]any) {
		for _, x := range path(w, "beds").([]any) {
			if str(x, "id") == bedID {
				return str(x, "status"), str(x, "stay", "id")
			}
		}
	}
	return "", ""
}

func TestAllocateBed_a_patient_cannot_hold_two_beds(t *testing.T) {
	c, store := newService(t, service.TestOptions{})
	p := people(1, "leek")[0]
	first, second := c.raiseAccepted(p), c.raiseAccepted(p)

	res := c.allocate(bedManager, first, "leek-moorlands-w1-01", "")
	stayID := str(res.Data, "allocateBed", "id")
	c.ok(bedManager, `mutation($id: ID!) { admitPatient(input: {stayId: $id}) { id } }`, map[string]any{"id": stayID})

	before := head(t, store)
	res = c.allocate(bedManager, second, "cheadle-w1-01", "")
	if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || !contains(res.Errors[0].Message, "the patient is already in a bed") {
		t.Fatalf("second bed: %+v", res.Errors)
	}
	if head(t, store) != before {
		t.Fatal("the refused allocation wrote")
	}
	if st, _ := c.bedStatus("cheadle-w1-01"); st != "AVAILABLE" {
		t.Fatalf("the second bed is %s", st)
	}
	checkInvariants(t, store)
}

func TestAllocateBed_concurrent_allocations_of_one_patient_to_different_beds_place_them_once(t *testing.T) {
	c, store := newService(t, service.TestOptions{})
	p := people(1, "cheadle")[0]
	const n = 12
	reqs := make([]string, n)
	for i := range reqs {
		reqs[i] = c.raiseAccepted(p)
	}
	beds := []string{"cheadle-w1-01", "cheadle-w1-02", "cheadle-w1-03", "cheadle-w1-04", "cheadle-w1-05", "cheadle-w1-06",
		"leek-moorlands-w2-01", "leek-moorlands-w2-02", "leek-moorlands-w2-03", "haywood-w3-01", "haywood-w3-02", "haywood-w3-03"}
	results := make([]result, n)
	parallel(n, func(i int) { results[i] = c.allocate(bedManager, reqs[i], beds[i], "") })
	winners := 0
	for _, r := range results {
		if len(r.Errors) == 0 {
			winners++
		} else if code := r.Errors[0].Extensions["code"]; code != "CONFLICT" && code != "BAD_USER_INPUT" {
			t.Fatalf("unexpected %+v", r.Errors)
		}
	}
	if winners != 1 {
		t.Fatalf("%d allocations of one patient succeeded, want 1", winners)
	}
	d := c.ok(bedManager, `{ bedOccupancy { overall { reserved } } }`, nil)
	if path(d, "bedOccupancy", "overall", "reserved").(float64) != 1 {
		t.Fatalf("beds reserved: %v", d)
	}
	checkInvariants(t, store)
}

func TestCommandID_repeated_returns_the_first_result_and_writes_nothing(t *testing.T) {
	c, store := newService(t, service.TestOptions{})
	p := people(1, "burslem")[0]
	input := map[string]any{"type": "STEP_UP", "source": "UCR", "priority": "URGENT", "clinicalNeed": "Palliative crisis", "patient": patientVars(p)}

	first := c.ok(bedManager, raiseMutation, map[string]any{"input": input, "cid": "raise-1"})
	before := head(t, store)
	again := c.ok(bedManager, raiseMutation, map[string]any{"input": input, "cid": "raise-1"})
	if str(first, "raiseBedRequest", "id") != str(again, "raiseBedRequest", "id") || head(t, store) != before {
		t.Fatalf("repeated raise: %v then %v, %d events written", first, again, head(t, store)-before)
	}
	reqID := str(first, "raiseBedRequest", "id")
	c.ok(bedManager, `mutation($id: ID!) { decideBedRequest(input: {bedRequestId: $id, decision: ACCEPT}, commandId: "accept-1") { status } }`, map[string]any{"id": reqID})
	// A repeated decision is answered, not refused as "already accepted".
	before = head(t, store)
	c.ok(bedManager, `mutation($id: ID!) { decideBedRequest(input: {bedRequestId: $id, decision: ACCEPT}, commandId: "accept-1") { status } }`, map[string]any{"id": reqID})
	if head(t, store) != before {
		t.Fatal("a repeated decision wrote")
	}

	steps := []struct{ query string }{
		{`mutation($id: ID!) { admitPatient(input: {stayId: $id}, commandId: "admit-1") { id status } }`},
		{`mutation($id: ID!) { transferPatient(input: {stayId: $id, toBedId: "haywood-w2-05", reason: CLINICAL_NEED}, commandId: "move-1") { id status bedId } }`},
		{`mutation($id: ID!) { recordNoCriteriaToReside(input: {stayId: $id, delayReason: AWAITING_HOME_CARE_PACKAGE}, commandId: "nctr-1") { id status } }`},
		{`mutation($id: ID!) { dischargePatient(input: {stayId: $id, pathway: P1, destination: "Home", followUp: {ictReferral: false}}, commandId: "discharge-1") { id status } }`},
	}
	a1 := c.allocate(bedManager, reqID, "haywood-w1-07", "allocate-1")
	before = head(t, store)
	a2 := c.allocate(bedManager, reqID, "haywood-w1-07", "allocate-1")
	if len(a1.Errors)+len(a2.Errors) > 0 || str(a1.Data, "allocateBed", "id") != str(a2.Data, "allocateBed", "id") || head(t, store) != before {
		t.Fatalf("repeated allocation: %+v / %+v", a1, a2)
	}
	stayID := str(a1.Data, "allocateBed", "id")
	for _, s := range steps {
		one := c.ok(bedManager, s.query, map[string]any{"id": stayID})
		before := head(t, store)
		two := c.ok(bedManager, s.query, map[string]any{"id": stayID})
		if head(t, store) != before {
			t.Fatalf("a repeat of %q wrote %d events", s.query, head(t, store)-before)
		}
		// The repeat answers with the stay as it is now, the same stay.
		for k := range one {
			if str(one, k, "id") != str(two, k, "id") {
				t.Fatalf("repeat answered a different stay: %v vs %v", one, two)
			}
		}
	}
	// The same commandId with another bed is the same command: the first
	// result, not a second allocation.
	before = head(t, store)
	a3 := c.allocate(bedManager, reqID, "haywood-w1-08", "allocate-1")
	if len(a3.Errors) > 0 || str(a3.Data, "allocateBed", "id") != stayID || head(t, store) != before {
		t.Fatalf("commandId reused for another bed: %+v", a3)
	}
	checkInvariants(t, store)
}

func TestTransferPatient_two_patients_moving_into_one_bed_at_once_one_moves(t *testing.T) {
	c, store := newService(t, service.TestOptions{})
	ps := people(8, "burslem")
	stays := make([]string, len(ps))
	for i, p := range ps {
		res := c.allocate(bedManager, c.raiseAccepted(p), fmt.Sprintf("haywood-w1-%02d", i+1), "")
		stays[i] = str(res.Data, "allocateBed", "id")
		c.ok(bedManager, `mutation($id: ID!) { admitPatient(input: {stayId: $id}) { id } }`, map[string]any{"id": stays[i]})
	}
	results := make([]result, len(ps))
	parallel(len(ps), func(i int) {
		results[i] = c.do(bedManager, `mutation($id: ID!) { transferPatient(input: {stayId: $id, toBedId: "bradwell-w3-01", reason: CLOSER_TO_HOME}) { id bedId } }`, map[string]any{"id": stays[i]})
	})
	moved := 0
	for i, r := range results {
		if len(r.Errors) == 0 {
			moved++
			continue
		}
		if code := r.Errors[0].Extensions["code"]; code != "CONFLICT" && code != "BAD_USER_INPUT" {
			t.Fatalf("unexpected %+v", r.Errors)
		}
		// The patients who did not move are still in their beds.
		if st, holder := c.bedStatus(fmt.Sprintf("haywood-w1-%02d", i+1)); st != "OCCUPIED" || holder != stays[i] {
			t.Fatalf("a patient whose transfer failed is not in their bed: %s %q", st, holder)
		}
	}
	if moved != 1 {
		t.Fatalf("%d patients moved into one bed", moved)
	}
	checkInvariants(t, store)
}
