package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
	"carecoord/services/falls/domain"
)

// race dispatches concurrently and returns how many succeeded, failing on
// any error other than the two a loser may see.
func race(t *testing.T, h *harness, inputs []map[string]any) (wins []map[string]any) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, in := range inputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res := h.do(&dispatcher, dispatchMutation, map[string]any{"in": in})
			mu.Lock()
			defer mu.Unlock()
			if len(res.Errors) == 0 {
				wins = append(wins, roundTrip(t, res.Data)["dispatchResponder"].(map[string]any))
				return
			}
			// A loser is told the unit (or incident) is taken, or that it
			// changed under it: never anything else.
			if code := res.Errors[0].Extensions["code"]; code != "BAD_USER_INPUT" && code != "CONFLICT" {
				t.Errorf("loser got %v: %s", code, res.Errors[0].Message)
			}
		}()
	}
	close(start)
	wg.Wait()
	return wins
}

func TestDispatch_one_unit_to_many_incidents_at_once_has_exactly_one_winner(t *testing.T) {
	h := newHarness(t)
	h.onShift("falls-11")
	var ids []string
	var inputs []map[string]any
	for i := 0; i < 12; i++ {
		id := h.report(fmt.Sprint("c-race-", i), map[string]any{"localityId": "hanley"})
		h.triage(id, "UNINJURED")
		ids = append(ids, id)
		inputs = append(inputs, map[string]any{"incidentId": id, "responderId": "falls-11"})
	}
	wins := race(t, h, inputs)
	if len(wins) != 1 {
		t.Fatalf("%d dispatches succeeded, want exactly 1", len(wins))
	}
	winner := wins[0]["id"].(string)
	if r := h.responders()["falls-11"]; r["status"] != "DISPATCHED" || get(r, "incident.id") != winner {
		t.Fatalf("unit %v, want dispatched to %s", r, winner)
	}
	dispatched := 0
	for _, id := range ids {
		inc := h.incident(id)
		switch inc["status"] {
		case "DISPATCHED":
			dispatched++
			if id != winner || get(inc, "dispatch.responderId") != "falls-11" {
				t.Fatalf("incident %s dispatched, winner %s", id, winner)
			}
		case "QUEUED":
		default:
			t.Fatalf("incident %s is %v", id, inc["status"])
		}
	}
	if dispatched != 1 {
		t.Fatalf("%d incidents show the unit", dispatched)
	}
}

func TestDispatch_many_units_to_one_incident_at_once_sends_exactly_one(t *testing.T) {
	h := newHarness(t)
	units := []string{"falls-11", "falls-12", "falls-13", "falls-14", "ucr-21", "ucr-24"}
	h.onShift(units...)
	id := h.report("c-race-units", map[string]any{"localityId": "hanley"})
	h.triage(id, "UNINJURED")
	var inputs []map[string]any
	for _, u := range units {
		inputs = append(inputs, map[string]any{"incidentId": id, "responderId": u})
	}
	wins := race(t, h, inputs)
	if len(wins) != 1 {
		t.Fatalf("%d dispatches succeeded, want exactly 1", len(wins))
	}
	sent := get(wins[0], "dispatch.responderId")
	// Every other unit is free again: any that took the assignment first
	// was released when the incident refused it.
	eventually(t, "the losing units to be free", func() bool {
		rs := h.responders()
		for _, u := range units {
			want := "AVAILABLE"
			if u == sent {
				want = "DISPATCHED"
			}
			if rs[u]["status"] != want {
				return false
			}
		}
		return true
	})
}

// The dispatch's second half is driven by a reaction, so a process that dies
// between the unit's assignment and the incident's dispatch still ends
// consistent: simulated by writing the assignment alone.
func TestDispatch_assignment_written_alone_is_completed_or_released_by_the_reaction(t *testing.T) {
	h := newHarness(t)
	h.onShift("falls-14", "falls-11")
	queued := h.report("c-crash-1", nil)
	h.triage(queued, "UNINJURED")
	closed := h.report("c-crash-2", nil)
	h.step("closeFall", "CloseFallInput", map[string]any{"incidentId": closed, "reason": "NO_FALL"})

	assign := func(unit, incident string) string {
		a := uuid.NewString()
		data, _ := json.Marshal(domain.ResponderAssigned{ResponderID: unit, AssignmentID: a, IncidentID: incident, CallSign: unit, Level: domain.Level1, AssignedAt: t0, AssignedBy: dispatcher.Subject})
		if _, err := h.svc.Store.Append(context.Background(), "fallresponder-"+unit, eventstore.Exact(0),
			eventstore.EventData{ID: uuid.New(), Type: "falls.ResponderAssigned.v1", Data: data}); err != nil {
			t.Fatal(err)
		}
		return a
	}
	assign("falls-14", queued)
	assign("falls-11", closed)
	eventually(t, "the queued incident to take its unit", func() bool {
		return h.incident(queued)["status"] == "DISPATCHED" && h.responders()["falls-14"]["status"] == "DISPATCHED"
	})
	eventually(t, "the unit the closed incident refused to be free", func() bool {
		return h.responders()["falls-11"]["status"] == "AVAILABLE"
	})
	evs, _ := h.svc.Store.ReadStream(context.Background(), "fallresponder-falls-11", 0, eventstore.Forwards, 0)
	var released domain.ResponderReleased
	if err := json.Unmarshal(evs[len(evs)-1].Data, &released); err != nil || released.Reason != domain.ReleaseRefused || released.Refusal == nil {
		t.Fatalf("release %+v %v", released, err)
	}
	if h.incident(closed)["status"] != "CLOSED" {
		t.Fatal("the closed incident changed")
	}
}

func TestResponder_cannot_be_booked_off_while_committed(t *testing.T) {
	h := newHarness(t)
	h.onShift("falls-14")
	id := h.report("c-off-1", nil)
	h.triage(id, "UNINJURED")
	h.dispatch(id, "falls-14")
	q := `mutation($in: SetResponderStatusInput!) { setResponderStatus(input: $in) { status } }`
	e := h.fails(&dispatcher, "BAD_USER_INPUT", q, map[string]any{"in": map[string]any{"responderId": "falls-14", "status": "OFF_DUTY"}})
	if e.Message != "cannot change the responder's status: it is committed to an incident (DISPATCHED or ON_SCENE)" {
		t.Fatalf("%q", e.Message)
	}
	h.fails(&dispatcher, "BAD_USER_INPUT", q, map[string]any{"in": map[string]any{"responderId": "falls-11", "status": "ON_SCENE"}})
	other := h.report("c-off-2", nil)
	h.triage(other, "UNINJURED")
	e = h.fails(&dispatcher, "BAD_USER_INPUT", dispatchMutation, map[string]any{"in": map[string]any{"incidentId": other, "responderId": "falls-12"}})
	if e.Message != "cannot dispatch the responder: it is off duty (OFF_DUTY)" {
		t.Fatalf("%q", e.Message)
	}
}
