package service_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/graphql-go/graphql"

	"carecoord/pkg/auth"
	"carecoord/pkg/eventstore"
	"carecoord/services/caseload/app"
	"carecoord/services/caseload/service"
)

// clock is a test clock the service reads through Deps.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// Monday 2 March 2026, 08:00 in London (GMT).
var start = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

var (
	leekNurse = auth.Viewer{Subject: "clin-leek-1", Name: "Alice Hill", Role: auth.ICTClinician, Localities: []string{"leek"}}
	leekLead  = auth.Viewer{Subject: "clin-leek-lead", Name: "Lee Lead", Role: auth.ICTClinician, Localities: []string{"leek", "biddulph"}}
	tamNurse  = auth.Viewer{Subject: "clin-tamworth-1", Name: "Tom Dale", Role: auth.ICTClinician, Localities: []string{"tamworth"}}
	bedMgr    = auth.Viewer{Subject: "bm-1", Name: "Bea Manager", Role: auth.BedManager}
	admin     = auth.Viewer{Subject: "admin-1", Name: "Ada Admin", Role: auth.Admin}
)

type harness struct {
	t      *testing.T
	svc    *service.Service
	schema graphql.Schema
	clock  *clock
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	c := &clock{now: start}
	svc := service.NewForTest(t, service.WithClock(c.Now))
	schema, err := svc.Subgraph.Schema()
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, svc: svc, schema: schema, clock: c}
}

// gqlResult is a GraphQL response, decoded.
type gqlResult struct {
	Data   map[string]any
	Errors []gqlError
}

type gqlError struct {
	Message    string
	Extensions map[string]any
}

func (r gqlResult) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// do runs a GraphQL request as the viewer through the subgraph's schema.
func (h *harness) do(v auth.Viewer, query string, vars map[string]any) gqlResult {
	h.t.Helper()
	res := graphql.Do(graphql.Params{Schema: h.schema, RequestString: query, VariableValues: vars,
		Context: auth.WithViewer(context.Background(), v)})
	b, _ := json.Marshal(res)
	var out gqlResult
	if err := json.Unmarshal(b, &out); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// ok runs a request that must succeed and returns its data.
func (h *harness) ok(v auth.Viewer, query string, vars map[string]any) map[string]any {
	h.t.Helper()
	r := h.do(v, query, vars)
	if len(r.Errors) > 0 {
		h.t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	return r.Data
}

// fails runs a request that must fail with code, and returns the message.
func (h *harness) fails(v auth.Viewer, code, query string, vars map[string]any) string {
	h.t.Helper()
	r := h.do(v, query, vars)
	if r.code() != code {
		h.t.Fatalf("want %s, got errors %+v data %v", code, r.Errors, r.Data)
	}
	return r.Errors[0].Message
}

// referralAccepted is the JSON referrals publishes, exactly as agreed.
func referralAccepted(referralID, nhs, loc string, acceptedAt time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"referralId": referralID,
		"patient": map[string]any{"nhsNumber": nhs, "nhsNumberVerification": "VERIFIED", "givenName": "Jean", "familyName": "Smith",
			"dateOfBirth": "1941-03-02", "postcode": "ST13 5BQ", "gpPractice": nil},
		"locality": loc, "serviceRequested": "Integrated care team", "priority": "URGENT_2D", "ucr": false,
		"reason":     map[string]any{"snomedCode": "129839007", "display": "At risk for falls"},
		"acceptedAt": acceptedAt.Format(time.RFC3339), "acceptedBy": "clin-leek-9",
	})
	return b
}

// appendEvent writes another service's event straight into the store.
func (h *harness) appendEvent(stream, typ string, data []byte) eventstore.RecordedEvent {
	h.t.Helper()
	return appendTo(h.t, h.svc.Store, stream, typ, data)
}

func appendTo(t *testing.T, s eventstore.Store, stream, typ string, data []byte) eventstore.RecordedEvent {
	t.Helper()
	res, err := s.Append(context.Background(), stream, eventstore.Any, eventstore.EventData{ID: uuid.New(), Type: typ, Data: data,
		Metadata: eventstore.Metadata{Actor: "test", CorrelationID: uuid.NewString()}})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s.ReadAll(context.Background(), res.Position, eventstore.Forwards, 1)
	if err != nil {
		t.Fatal(err)
	}
	return evs[0]
}

// eventually waits for cond, with a deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const jean = "9434765919"

// openEpisode makes an accepted referral for a Leek patient and waits for
// the reaction to open its episode; it returns the episode ID.
func (h *harness) openEpisode(referralID, nhs, loc string) string {
	h.t.Helper()
	h.appendEvent("referral-"+referralID, "referrals.ReferralAccepted.v1", referralAccepted(referralID, nhs, loc, h.clock.Now().Add(-time.Hour)))
	id := app.EpisodeIDForReferral(referralID)
	eventually(h.t, "the episode to open", func() bool {
		_, ok := h.svc.ReadModel.Episode(id, h.clock.Now())
		return ok
	})
	return id
}

func path(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func storeEvents(t *testing.T, s eventstore.Store, stream string) []eventstore.RecordedEvent {
	t.Helper()
	evs, err := s.ReadStream(context.Background(), stream, 0, eventstore.Forwards, 0)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}
