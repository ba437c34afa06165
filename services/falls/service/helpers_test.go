package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"

	"carecoord/pkg/auth"
	"carecoord/pkg/eventstore"
	"carecoord/services/falls/service"
)

var (
	dispatcher    = auth.Viewer{Subject: "u-dispatch-1", Name: "Dana Dispatcher", Role: auth.FallsDispatcher}
	leekClinician = auth.Viewer{Subject: "u-leek-1", Role: auth.ICTClinician, Localities: []string{"leek"}}
	bedManager    = auth.Viewer{Subject: "u-beds-1", Role: auth.BedManager}
)

// t0 is a Monday morning; the test clock starts here.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// clock is a controlled clock for Deps.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// harness drives one service through its standalone subgraph.
type harness struct {
	t      *testing.T
	svc    *service.Service
	schema graphql.Schema
	clock  *clock
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	c := &clock{now: t0}
	svc := service.NewForTest(t, service.WithNow(c.Now))
	schema, err := svc.Subgraph.Schema()
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, svc: svc, schema: schema, clock: c}
}

func (h *harness) do(v *auth.Viewer, query string, vars map[string]any) *graphql.Result {
	ctx := context.Background()
	if v != nil {
		ctx = auth.WithViewer(ctx, *v)
	}
	return graphql.Do(graphql.Params{Schema: h.schema, RequestString: query, VariableValues: vars, Context: ctx})
}

// ok runs a query that must succeed and returns its data as JSON-shaped maps.
func (h *harness) ok(v auth.Viewer, query string, vars map[string]any) map[string]any {
	h.t.Helper()
	res := h.do(&v, query, vars)
	if len(res.Errors) > 0 {
		h.t.Fatalf("%s\nfailed: %v", firstLine(query), res.Errors)
	}
	return roundTrip(h.t, res.Data)
}

// fails runs a query that must fail with code and returns the error.
func (h *harness) fails(v *auth.Viewer, code, query string, vars map[string]any) gqlerrors.FormattedError {
	h.t.Helper()
	res := h.do(v, query, vars)
	if len(res.Errors) != 1 {
		h.t.Fatalf("%s\nwant one %s error, got %v", firstLine(query), code, res.Errors)
	}
	if got := res.Errors[0].Extensions["code"]; got != code {
		h.t.Fatalf("%s\nwant %s, got %v: %s", firstLine(query), code, got, res.Errors[0].Message)
	}
	return res.Errors[0]
}

func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i > 0 {
		return q[:i]
	}
	return q
}

// get walks a path of keys and indexes ("reportFall.patient.nhsNumber").
func get(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			fmt.Sscan(k, &i)
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

const incidentFields = `id status risk localityId incidentLocalityId alertedAt onFloorSince timeOnFloorMinutes onFloorOverOneHour onFloorClockRunning breachAt liftedAt
	patient { nhsNumber nhsNumberVerification givenName familyName }
	triage { redFlags injury response } requiredResponse
	escalation { lineKeptOpen ambulanceReference }
	dispatch { responderId callSign level arrivedAt }
	responder { id status }
	outcome { outcome referTo clinicalNeed }
	closeReason`

// report opens an incident and returns its id.
func (h *harness) report(commandID string, input map[string]any) string {
	h.t.Helper()
	in := map[string]any{"source": "TELECARE", "address": map[string]any{"text": "4 Mill Lane", "postcode": "ST13 5BQ"}, "localityId": "leek"}
	for k, v := range input {
		in[k] = v
	}
	d := h.ok(dispatcher, `mutation($in: ReportFallInput!, $c: String) { reportFall(input: $in, commandId: $c) { `+incidentFields+` } }`,
		map[string]any{"in": in, "c": commandID})
	return get(d, "reportFall.id").(string)
}

func (h *harness) triage(id string, injury string, flags ...string) map[string]any {
	h.t.Helper()
	if flags == nil {
		flags = []string{}
	}
	return h.ok(dispatcher, `mutation($in: TriageFallInput!) { triageFall(input: $in) { `+incidentFields+` } }`,
		map[string]any{"in": map[string]any{"incidentId": id, "injury": injury, "redFlags": flags}})["triageFall"].(map[string]any)
}

func (h *harness) onShift(units ...string) {
	h.t.Helper()
	for _, u := range units {
		h.ok(dispatcher, `mutation($in: SetResponderStatusInput!) { setResponderStatus(input: $in) { id status } }`,
			map[string]any{"in": map[string]any{"responderId": u, "status": "AVAILABLE"}})
	}
}

const dispatchMutation = `mutation($in: DispatchResponderInput!, $c: String) { dispatchResponder(input: $in, commandId: $c) { ` + incidentFields + ` } }`

func (h *harness) dispatch(id, unit string) map[string]any {
	h.t.Helper()
	return h.ok(dispatcher, dispatchMutation, map[string]any{"in": map[string]any{"incidentId": id, "responderId": unit}})["dispatchResponder"].(map[string]any)
}

// step runs a one-input incident mutation as the dispatcher.
func (h *harness) step(mutation, inputType string, in map[string]any) map[string]any {
	h.t.Helper()
	q := fmt.Sprintf(`mutation($in: %s!) { %s(input: $in) { %s } }`, inputType, mutation, incidentFields)
	return h.ok(dispatcher, q, map[string]any{"in": in})[mutation].(map[string]any)
}

func (h *harness) incident(id string) map[string]any {
	h.t.Helper()
	return h.ok(dispatcher, `query($id: ID!) { fallIncident(id: $id) { `+incidentFields+` } }`, map[string]any{"id": id})["fallIncident"].(map[string]any)
}

func (h *harness) responders() map[string]map[string]any {
	h.t.Helper()
	d := h.ok(dispatcher, `{ responders { id callSign level status since demo incident { id } } }`, nil)
	out := map[string]map[string]any{}
	for _, r := range d["responders"].([]any) {
		m := r.(map[string]any)
		out[m["id"].(string)] = m
	}
	return out
}

// streamLen is how many events a stream holds (0 when it does not exist).
func (h *harness) streamLen(stream string) int {
	h.t.Helper()
	evs, err := h.svc.Store.ReadStream(context.Background(), stream, 0, eventstore.Forwards, 0)
	if err != nil {
		return 0
	}
	return len(evs)
}

// eventually waits for cond with a deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
