package service_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/auth"
	"carecoord/pkg/demo"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/locality"

	"carecoord/services/beds/hospitals"
	"carecoord/services/beds/service"
)

var (
	bedManager = auth.Viewer{Subject: "u-bed-manager", Role: auth.BedManager, Name: "Bed Manager"}
	ictLeek    = auth.Viewer{Subject: "u-ict-leek", Role: auth.ICTClinician, Localities: []string{"leek"}}
	ictTamw    = auth.Viewer{Subject: "u-ict-tamworth", Role: auth.ICTClinician, Localities: []string{"tamworth"}}
	dispatcher = auth.Viewer{Subject: "u-dispatch", Role: auth.FallsDispatcher}
	anonymous  = auth.Viewer{}
)

// client speaks GraphQL to the service's standalone subgraph schema.
type client struct {
	t      testing.TB
	svc    *service.Service
	schema graphql.Schema
}

func newClient(t testing.TB, svc *service.Service) *client {
	t.Helper()
	s, err := svc.Subgraph.Schema()
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, svc: svc, schema: s}
}

// result is a GraphQL response, JSON round-tripped so tests read it as a
// client would.
type result struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (c *client) do(v auth.Viewer, query string, vars map[string]any) result {
	c.t.Helper()
	res := graphql.Do(graphql.Params{Schema: c.schema, RequestString: query, VariableValues: vars, Context: auth.WithViewer(context.Background(), v)})
	b, err := json.Marshal(res)
	if err != nil {
		c.t.Fatal(err)
	}
	var out result
	if err := json.Unmarshal(b, &out); err != nil {
		c.t.Fatal(err)
	}
	return out
}

// ok runs a query that must succeed and returns its data.
func (c *client) ok(v auth.Viewer, query string, vars map[string]any) map[string]any {
	c.t.Helper()
	res := c.do(v, query, vars)
	if len(res.Errors) > 0 {
		c.t.Fatalf("unexpected errors: %+v", res.Errors)
	}
	return res.Data
}

// fails runs a query that must fail with code, and returns the message.
func (c *client) fails(v auth.Viewer, code, query string, vars map[string]any) string {
	c.t.Helper()
	res := c.do(v, query, vars)
	if len(res.Errors) != 1 {
		c.t.Fatalf("want one %s error, got %+v (data %v)", code, res.Errors, res.Data)
	}
	if got := res.Errors[0].Extensions["code"]; got != code {
		c.t.Fatalf("want %s, got %v: %s", code, got, res.Errors[0].Message)
	}
	return res.Errors[0].Message
}

// path digs into a response: path(data, "allocateBed", "id").
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, keys ...any) string {
	s, _ := path(v, keys...).(string)
	return s
}

// people makes synthetic patients of a locality.
func people(n int, loc string) []demo.Person {
	g := demo.NewPeople(uint64(time.Now().UnixNano()), locality.Default(), time.Now())
	out := make([]demo.Person, n)
	for i := range out {
		out[i] = g.In(locality.ID(loc))
	}
	return out
}

func patientVars(p demo.Person) map[string]any {
	return map[string]any{
		"nhsNumber": p.NHSNumber.String(), "nhsNumberVerification": "VERIFIED", "givenName": p.GivenName, "familyName": p.FamilyName,
		"dateOfBirth": p.DateOfBirth.Format(time.DateOnly), "postcode": p.Postcode.String(), "gpPractice": p.Practice,
	}
}

const raiseMutation = `mutation($input: RaiseBedRequestInput!, $cid: String) {
  raiseBedRequest(input: $input, commandId: $cid) { id status type source priority localityId clinicalNeed patient { nhsNumber } }
}`

// raiseAccepted raises a step-up request for p and accepts it; it returns
// the request ID.
func (c *client) raiseAccepted(p demo.Person) string {
	c.t.Helper()
	d := c.ok(bedManager, raiseMutation, map[string]any{"input": map[string]any{
		"type": "STEP_UP", "source": "UCR", "priority": "HIGH", "clinicalNeed": "Reduced mobility; cannot manage at home", "patient": patientVars(p),
	}})
	id := str(d, "raiseBedRequest", "id")
	c.ok(bedManager, `mutation($id: ID!) { decideBedRequest(input: {bedRequestId: $id, decision: ACCEPT}) { status } }`, map[string]any{"id": id})
	return id
}

const allocateMutation = `mutation($req: ID!, $bed: ID!, $cid: String) {
  allocateBed(input: {bedRequestId: $req, bedId: $bed}, commandId: $cid) { id status bedId hospitalId }
}`

func (c *client) allocate(v auth.Viewer, req, bed, cid string) result {
	return c.do(v, allocateMutation, map[string]any{"req": req, "bed": bed, "cid": cid})
}

// bedStatus reads a bed's state off the bed board.
func (c *client) bedStatus(bedID string) (status, stayID string) {
	c.t.Helper()
	b, _ := hospitals.Default().Bed(bedID)
	d := c.ok(bedManager, `query($h: ID) { bedBoard(hospitalId: $h) { beds { id status stay { id } } } }`, map[string]any{"h": b.HospitalID})
	for _, w := range path(d, "bedBoard").([]any) {
		for _, x := range path(w, "beds").([]any) {
			if str(x, "id") == bedID {
				return str(x, "status"), str(x, "stay", "id")
			}
		}
	}
	c.t.Fatalf("bed %s not on the board", bedID)
	return "", ""
}

// head is the store's last position: unchanged means nothing was written.
func head(t testing.TB, s eventstore.Store) eventstore.Position {
	t.Helper()
	evs, err := s.ReadAll(context.Background(), eventstore.End, eventstore.Backwards, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 {
		return 0
	}
	return evs[0].Position
}

// events reads every event of a type from the store.
func events(t testing.TB, s eventstore.Store, typ string) []eventstore.RecordedEvent {
	t.Helper()
	evs, err := s.ReadAll(context.Background(), eventstore.Start, eventstore.Forwards, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []eventstore.RecordedEvent
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// clock is a test clock the service reads.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// eventually waits for cond with a deadline.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
