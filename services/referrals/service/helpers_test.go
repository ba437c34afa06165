package service_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/auth"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/services/referrals/service"
)

var (
	leekClinician     = auth.Viewer{Subject: "u-leek", Name: "Leek nurse", Role: auth.ICTClinician, Localities: []string{"leek"}}
	tamworthClinician = auth.Viewer{Subject: "u-tam", Name: "Tamworth nurse", Role: auth.ICTClinician, Localities: []string{"tamworth"}}
	admin             = auth.Viewer{Subject: "u-admin", Name: "Admin", Role: auth.Admin}
	bedManager        = auth.Viewer{Subject: "u-beds", Name: "Bed manager", Role: auth.BedManager}
	dispatcher        = auth.Viewer{Subject: "u-falls", Name: "Dispatcher", Role: auth.FallsDispatcher}
)

// Practices of the default locality registry.
const (
	leekPractice     = "Z10032"
	tamworthPractice = "Z10073"
)

type harness struct {
	t      *testing.T
	svc    *service.Service
	schema graphql.Schema
	store  eventstore.Store
}

func newStore(t *testing.T) eventstore.Store {
	t.Helper()
	s, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newHarness(t *testing.T, o service.TestOptions) *harness {
	t.Helper()
	if o.Store == nil {
		o.Store = newStore(t)
	}
	svc := service.NewForTestWith(t, o)
	schema, err := svc.Subgraph.Schema()
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, svc: svc, schema: schema, store: o.Store}
}

// do runs a GraphQL request as the viewer (none when Subject is empty).
func (h *harness) do(v auth.Viewer, query string, vars map[string]any) *graphql.Result {
	ctx := context.Background()
	if v.Subject != "" {
		ctx = auth.WithViewer(ctx, v)
	}
	return graphql.Do(graphql.Params{Schema: h.schema, RequestString: query, VariableValues: vars, Context: ctx})
}

// must runs a request that has to succeed and returns its data.
func (h *harness) must(v auth.Viewer, query string, vars map[string]any) map[string]any {
	h.t.Helper()
	res := h.do(v, query, vars)
	if len(res.Errors) > 0 {
		h.t.Fatalf("errors: %v", res.Errors)
	}
	return res.Data.(map[string]any)
}

// wantError asserts one error with the code, and returns it.
func wantError(t *testing.T, res *graphql.Result, code string) (msg, field string) {
	t.Helper()
	if len(res.Errors) != 1 {
		t.Fatalf("want one %s error, got %v (data %v)", code, res.Errors, res.Data)
	}
	e := res.Errors[0]
	if e.Extensions["code"] != code {
		t.Fatalf("want %s, got %v: %s", code, e.Extensions, e.Message)
	}
	f, _ := e.Extensions["field"].(string)
	return e.Message, f
}

// get walks a decoded result: get(data, "receiveReferral", "status").
func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(v any, path ...string) string {
	s, _ := get(v, path...).(string)
	return s
}

func list(v any, path ...string) []any {
	l, _ := get(v, path...).([]any)
	return l
}

const referralFields = `id status localityId priority ucr receivedAt recordedAt version serviceRequested
	patientDetails { nhsNumber givenName familyName dateOfBirth gpPractice }
	referrer { name organisationOds source } reason { snomedCode display }
	triage { outcome by priority reason service information }
	allocation { team clinicianId clinicianName }
	closure { kind reason }
	ucrClock { startedAt stoppedAt elapsedMinutes running within2Hours atRisk breached excludedByPatientChoice }
	firstContactAt informationReceivedAt sourceReference riskFlags
	history { type summary status by }`

const receiveMutation = `mutation($input: ReceiveReferralInput!, $cmd: String) { receiveReferral(input: $input, commandId: $cmd) { ` + referralFields + ` } }`
const triageMutation = `mutation($input: TriageReferralInput!, $cmd: String) { triageReferral(input: $input, commandId: $cmd) { ` + referralFields + ` } }`
const allocateMutation = `mutation($input: AllocateReferralInput!, $cmd: String) { allocateReferral(input: $input, commandId: $cmd) { ` + referralFields + ` } }`
const contactMutation = `mutation($input: RecordFirstContactInput!, $cmd: String) { recordFirstContact(input: $input, commandId: $cmd) { ` + referralFields + ` } }`
const infoMutation = `mutation($input: RecordReferralInformationReceivedInput!, $cmd: String) { recordReferralInformationReceived(input: $input, commandId: $cmd) { ` + referralFields + ` } }`
const choiceMutation = `mutation($input: RecordReferralPatientChoiceInput!, $cmd: String) { recordReferralPatientChoice(input: $input, commandId: $cmd) { ` + referralFields + ` } }`
const withdrawMutation = `mutation($input: WithdrawReferralInput!, $cmd: String) { withdrawReferral(input: $input, commandId: $cmd) { ` + referralFields + ` } }`
const referralQuery = `query($id: ID!) { referral(id: $id) { ` + referralFields + ` } }`

// referralInput is a valid UCR referral for a Leek patient.
func referralInput(nhs string, receivedAt time.Time, mutate ...func(in map[string]any)) map[string]any {
	in := map[string]any{
		"patient": map[string]any{
			"nhsNumber": nhs, "nhsNumberVerification": "VERIFIED", "givenName": "Jean", "familyName": "Plant",
			"dateOfBirth": "1941-03-02", "postcode": "ST13 5BQ", "gpPractice": leekPractice,
		},
		"referrer":         map[string]any{"name": "Dr A Shah", "organisationOds": leekPractice, "source": "GP"},
		"receivedAt":       receivedAt.UTC().Format(time.RFC3339),
		"reason":           map[string]any{"snomedCode": "217082002", "display": "Accidental fall"},
		"serviceRequested": "Urgent Community Response",
		"priority":         "URGENT_2H",
		"ucr":              true,
		"consent":          "GIVEN",
		"riskFlags":        []any{"FALLS", "ANIMALS"},
	}
	for _, m := range mutate {
		m(in)
	}
	return in
}

func vars(input map[string]any, commandID string) map[string]any {
	v := map[string]any{"input": input}
	if commandID != "" {
		v["cmd"] = commandID
	}
	return v
}

// receive receives a referral as the viewer and returns its ID.
func (h *harness) receive(v auth.Viewer, input map[string]any, commandID string) string {
	h.t.Helper()
	return str(h.must(v, receiveMutation, vars(input, commandID)), "receiveReferral", "id")
}

// streamEvents reads a referral's stream (none when it does not exist).
func (h *harness) streamEvents(id string) []eventstore.RecordedEvent {
	h.t.Helper()
	evs, err := h.store.ReadStream(context.Background(), service.Category+"-"+id, 0, eventstore.Forwards, 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

// allEvents reads the whole log.
func (h *harness) allEvents() []eventstore.RecordedEvent {
	h.t.Helper()
	evs, err := h.store.ReadAll(context.Background(), eventstore.Start, eventstore.Forwards, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

func countType(evs []eventstore.RecordedEvent, typ string) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

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

// clock is a controlled clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func historyTypes(r any) string {
	var out []string
	for _, h := range list(r, "history") {
		out = append(out, str(h, "type"))
	}
	return strings.Join(out, ",")
}
