package service_test

import (
	"context"
	"testing"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"
	"carecoord/pkg/eventstore"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/hospitals"
	"carecoord/services/beds/service"
)

// crashed plays the first steps of an allocation and then "dies", as a
// process killed between two appends would leave the log.
type crashed struct {
	t          *testing.T
	requests   *aggregate.Repository[*domain.BedRequest]
	beds       *aggregate.Repository[*domain.Bed]
	placements *aggregate.Repository[*domain.Placement]
}

func newCrashed(t *testing.T, s eventstore.Store) crashed {
	return crashed{t: t,
		requests:   aggregate.NewRepository(s, domain.Types, "bedrequest", domain.NewBedRequest),
		beds:       aggregate.NewRepository(s, domain.Types, "bed", domain.NewBed),
		placements: aggregate.NewRepository(s, domain.Types, "placement", domain.NewPlacement),
	}
}

// claim is step 1 of an allocation with the given commandId: the patient's
// placement claims the bed at its current revision.
func (c crashed) claim(commandID, requestID, bedID string, at time.Time) (stayID string, fence int64) {
	c.t.Helper()
	ctx := context.Background()
	req, _, err := c.requests.Load(ctx, requestID)
	if err != nil {
		c.t.Fatal(err)
	}
	bed, _, err := c.beds.Load(ctx, bedID)
	if err != nil {
		c.t.Fatal(err)
	}
	loc, _ := hospitals.Default().Locate("bedId", bedID)
	stayID = aggregate.DeterministicID("stay", requestID+"\x00"+commandID)
	_, err = c.placements.Execute(ctx, domain.PatientKey(req.Patient().NHSNumber), aggregate.Command{ID: commandID + "/claim"}, func(p *domain.Placement, _ bool) ([]aggregate.Event, error) {
		return p.Allocate(domain.NewStay{StayID: stayID, RequestID: requestID, Patient: req.Patient(), Locality: req.Locality(), Bed: loc, BedRevision: bed.Version()}, at, at)
	})
	if err != nil {
		c.t.Fatal(err)
	}
	return stayID, bed.Version()
}

// reserve is step 2: the bed is reserved for the claim.
func (c crashed) reserve(commandID, requestID, bedID, stayID string, fence int64) error {
	req, _, _ := c.requests.Load(context.Background(), requestID)
	_, err := c.beds.Execute(context.Background(), bedID, aggregate.Command{ID: commandID + "/reserve"}, func(b *domain.Bed, _ bool) ([]aggregate.Event, error) {
		return b.Reserve(domain.Reservation{StayID: stayID, RequestID: requestID, NHSNumber: req.Patient().NHSNumber, Locality: req.Locality()}, fence, time.Now())
	})
	return err
}

func TestSettle_a_claim_left_by_a_dead_allocation_is_fenced_off_after_the_grace_period(t *testing.T) {
	clock := newClock()
	c, store := newService(t, service.TestOptions{Now: clock.Now, ClaimGrace: 30 * time.Second})
	sim := newCrashed(t, store)
	p := people(1, "cheadle")[0]
	first, second := c.raiseAccepted(p), c.raiseAccepted(p)
	deadStay, fence := sim.claim("dead-1", first, "cheadle-w1-01", clock.Now())

	// While the claim is young its command may still be running.
	res := c.allocate(bedManager, second, "cheadle-w1-02", "")
	if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "CONFLICT" || !contains(res.Errors[0].Message, "in progress") {
		t.Fatalf("allocation beside a young claim: %+v", res)
	}
	// Once it is old, the next allocation fences it off and proceeds.
	clock.Add(31 * time.Second)
	res = c.allocate(bedManager, second, "cheadle-w1-02", "")
	if len(res.Errors) > 0 || str(res.Data, "allocateBed", "bedId") != "cheadle-w1-02" {
		t.Fatalf("allocation after the grace period: %+v", res)
	}
	if n := len(events(t, store, "beds.BedAllocationAbandoned.v1")); n != 1 {
		t.Fatalf("%d fences on the dead claim's bed, want 1", n)
	}
	// The dead command's reservation can never land now.
	if err := sim.reserve("dead-1", first, "cheadle-w1-01", deadStay, fence); !errs.Is(err, errs.KindConflict) {
		t.Fatalf("the dead allocation's reservation: %v", err)
	}
	if st, _ := c.bedStatus("cheadle-w1-01"); st != "AVAILABLE" {
		t.Fatalf("the dead claim's bed is %s", st)
	}
	checkInvariants(t, store)
}

func TestSettle_a_claim_whose_bed_was_reserved_is_rolled_forward(t *testing.T) {
	clock := newClock()
	c, store := newService(t, service.TestOptions{Now: clock.Now})
	sim := newCrashed(t, store)
	p := people(1, "cheadle")[0]
	req := c.raiseAccepted(p)
	stay, fence := sim.claim("half-1", req, "cheadle-w1-03", clock.Now())
	if err := sim.reserve("half-1", req, "cheadle-w1-03", stay, fence); err != nil {
		t.Fatal(err)
	}
	// The process died before confirming. Admitting the patient finishes
	// the allocation first, however young the claim: the bed holds it.
	var d map[string]any
	eventually(t, "the stay in the read model", func() bool {
		res := c.do(bedManager, `mutation($id: ID!) { admitPatient(input: {stayId: $id}) { id status bedId } }`, map[string]any{"id": stay})
		d = res.Data
		return len(res.Errors) == 0
	})
	if str(d, "admitPatient", "status") != "ADMITTED" || str(d, "admitPatient", "bedId") != "cheadle-w1-03" {
		t.Fatalf("admitted %v", d)
	}
	r := c.ok(bedManager, `query($id: ID!) { bedRequest(id: $id) { status stayId } }`, map[string]any{"id": req})
	if str(r, "bedRequest", "status") != "ADMITTED" || str(r, "bedRequest", "stayId") != stay {
		t.Fatalf("request after roll-forward %v", r)
	}
	checkInvariants(t, store)
}

func TestAllocateBed_repeated_after_a_crash_resumes_where_it_stopped(t *testing.T) {
	clock := newClock()
	c, store := newService(t, service.TestOptions{Now: clock.Now})
	sim := newCrashed(t, store)
	p := people(1, "cheadle")[0]
	req := c.raiseAccepted(p)
	stay, _ := sim.claim("resume-1", req, "cheadle-w1-04", clock.Now())
	// The client, having had no answer, repeats its command.
	res := c.allocate(bedManager, req, "cheadle-w1-04", "resume-1")
	if len(res.Errors) > 0 || str(res.Data, "allocateBed", "id") != stay || str(res.Data, "allocateBed", "status") != "RESERVED" {
		t.Fatalf("resumed allocation: %+v", res)
	}
	if n := len(events(t, store, "beds.StayAllocated.v1")); n != 1 {
		t.Fatalf("%d claims, want the one resumed", n)
	}
	checkInvariants(t, store)
}

func TestSettle_rolling_forward_onto_a_declined_request_undoes_the_allocation_bed_first(t *testing.T) {
	c, store := newService(t, service.TestOptions{})
	sim := newCrashed(t, store)
	p := people(1, "cheadle")[0]
	req := c.raiseAccepted(p)
	stay, fence := sim.claim("half-2", req, "cheadle-w1-05", time.Now())
	if err := sim.reserve("half-2", req, "cheadle-w1-05", stay, fence); err != nil {
		t.Fatal(err)
	}
	// The request is declined before the allocation was recorded on it.
	c.ok(bedManager, `mutation($id: ID!) { decideBedRequest(input: {bedRequestId: $id, decision: DECLINE, reason: "Need met at home"}) { status } }`, map[string]any{"id": req})
	var msg string
	eventually(t, "the stay in the read model", func() bool {
		res := c.do(bedManager, `mutation($id: ID!) { admitPatient(input: {stayId: $id}) { id } }`, map[string]any{"id": stay})
		if len(res.Errors) == 1 && res.Errors[0].Extensions["code"] == "BAD_USER_INPUT" {
			msg = res.Errors[0].Message
			return true
		}
		return false
	})
	if !contains(msg, "it is declined") {
		t.Fatalf("admitting onto a declined request: %q", msg)
	}
	if st, _ := c.bedStatus("cheadle-w1-05"); st != "AVAILABLE" {
		t.Fatalf("the bed is %s after the undo", st)
	}
	// The patient is free for another bed.
	req2 := c.raiseAccepted(p)
	if res := c.allocate(bedManager, req2, "cheadle-w1-06", ""); len(res.Errors) > 0 {
		t.Fatalf("a new allocation after the undo: %+v", res.Errors)
	}
	checkInvariants(t, store)
}
