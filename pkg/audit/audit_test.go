package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"carecoord/pkg/audit"
	"carecoord/pkg/auth"
	"carecoord/pkg/checkpoint"
	"carecoord/pkg/eventbus"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
)

// Synthetic NHS numbers (valid check digits, not real people).
const (
	patientA = "9434765919"
	patientB = "9434765870"
)

var (
	clinician = auth.Viewer{Subject: "u-leek-1", Name: "Sam Example", Role: auth.ICTClinician, Localities: []string{"leek"}, Organisation: "MPFT"}
	admin     = auth.Viewer{Subject: "u-admin", Name: "Ada Admin", Role: auth.Admin}
)

func newStore(t *testing.T) eventstore.Store {
	t.Helper()
	s, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// countingStore counts appends.
type countingStore struct {
	eventstore.Store
	appends atomic.Int32
}

func (c *countingStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	c.appends.Add(1)
	return c.Store.Append(ctx, stream, expected, events...)
}

func newWriter(t *testing.T, cfg audit.WriterConfig) *audit.Writer {
	t.Helper()
	w, err := audit.NewWriter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func readAudit(t *testing.T, s eventstore.Store, at time.Time) []audit.Entry {
	t.Helper()
	evs, err := s.ReadStream(context.Background(), audit.Stream(at), 0, eventstore.Forwards, 100000)
	if err != nil {
		t.Fatalf("read %s: %v", audit.Stream(at), err)
	}
	out := make([]audit.Entry, len(evs))
	for i, ev := range evs {
		if ev.Type != audit.EventType {
			t.Fatalf("event type %q", ev.Type)
		}
		if err := json.Unmarshal(ev.Data, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestTouch_without_a_record_does_nothing(t *testing.T) {
	audit.Touch(context.Background(), patientA) // must not panic
	if _, ok := audit.FromContext(context.Background()); ok {
		t.Fatal("a record in an empty context")
	}
}

func TestRecord_keeps_each_patient_once_in_the_order_touched(t *testing.T) {
	ctx, rec := audit.Begin(context.Background(), audit.Operation{Name: "PatientReferrals", Kind: audit.Read})
	if rec.Due() {
		t.Fatal("a read that touched no one is due for audit")
	}
	audit.Touch(ctx, patientB, "", patientA)
	audit.Touch(ctx, patientB)
	if got := strings.Join(rec.Touched(), ","); got != patientB+","+patientA {
		t.Fatalf("touched %s", got)
	}
	if !rec.Due() {
		t.Fatal("a read that touched patients is not due for audit")
	}
	_, cmd := audit.Begin(context.Background(), audit.Operation{Name: "triageReferral", Kind: audit.Command})
	if !cmd.Due() {
		t.Fatal("a command is always audited")
	}
	e := rec.Entry(auth.Viewer{Subject: "u1", Role: auth.ICTClinician, BreakGlassReason: strings.Repeat("x", 5000)}, time.Now())
	if !e.BreakGlass || len(e.BreakGlassReason) > 1000 || e.RequestID == "" || e.RequestID != rec.RequestID() {
		t.Fatalf("entry %+v", e)
	}
}

func TestWriter_batches_the_entries_of_many_requests_into_few_appends(t *testing.T) {
	s := &countingStore{Store: newStore(t)}
	w := newWriter(t, audit.WriterConfig{Store: s, Logger: zaptest.NewLogger(t)})
	at := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	const requests = 1200
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < requests/4; i++ {
				ctx, rec := audit.Begin(context.Background(), audit.Operation{Name: "PatientReferrals", Kind: audit.Read})
				audit.Touch(ctx, patientA)
				audit.Touch(ctx, patientB)
				if !w.Write(rec.Entry(clinician, at)) {
					t.Error("an entry was dropped")
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := s.appends.Load(); n > 12 {
		t.Fatalf("%d requests took %d appends, want a few batches", requests, n)
	}
	got := readAudit(t, s, at)
	if len(got) != requests {
		t.Fatalf("%d entries in the store, want %d", len(got), requests)
	}
	if st := w.Stats(); st.Written != requests || st.Dropped != 0 || st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestWriter_Close_writes_what_is_queued(t *testing.T) {
	s := newStore(t)
	// An interval far longer than the test: only Close can flush.
	w := newWriter(t, audit.WriterConfig{Store: s, FlushInterval: time.Hour})
	at := time.Date(2026, 11, 23, 23, 59, 58, 0, time.UTC)
	for i := 0; i < 3; i++ {
		_, rec := audit.Begin(context.Background(), audit.Operation{Name: "updateCarePlan", Kind: audit.Command})
		w.Write(rec.Entry(clinician, at.Add(time.Duration(i)*time.Second))) // the last is tomorrow's
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := len(readAudit(t, s, at)); got != 2 {
		t.Fatalf("%d entries on the 23rd, want 2", got)
	}
	if got := readAudit(t, s, at.Add(2*time.Second)); len(got) != 1 || got[0].Kind != audit.Command || got[0].Subject != clinician.Subject {
		t.Fatalf("entries on the 24th: %+v", got)
	}
	if w.Write(audit.Entry{RequestID: "late"}) {
		t.Fatal("a closed writer took an entry")
	}
}

// blockingStore holds every append until released.
type blockingStore struct {
	eventstore.Store
	release chan struct{}
	entered chan struct{}
	once    sync.Once
}

func (b *blockingStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	b.once.Do(func() { close(b.entered) })
	<-b.release
	return b.Store.Append(ctx, stream, expected, events...)
}

func TestWriter_full_buffer_drops_after_a_bounded_wait_and_logs_no_patient_data(t *testing.T) {
	s := &blockingStore{Store: newStore(t), release: make(chan struct{}), entered: make(chan struct{})}
	core, logs := observer.New(zap.InfoLevel)
	w := newWriter(t, audit.WriterConfig{Store: s, Logger: zap.New(core), BatchSize: 1, BufferSize: 1, EnqueueTimeout: 50 * time.Millisecond})
	entry := func() audit.Entry {
		ctx, rec := audit.Begin(context.Background(), audit.Operation{Name: "PatientReferrals", Kind: audit.Read})
		audit.Touch(ctx, patientA)
		return rec.Entry(clinician, time.Now())
	}
	w.Write(entry()) // taken by the writer, stuck in the store
	<-s.entered
	w.Write(entry()) // fills the buffer
	start := time.Now()
	if w.Write(entry()) {
		t.Fatal("a full buffer took an entry")
	}
	if waited := time.Since(start); waited < 40*time.Millisecond || waited > 5*time.Second {
		t.Fatalf("Write waited %s, want about the enqueue timeout", waited)
	}
	if st := w.Stats(); st.Dropped != 1 {
		t.Fatalf("stats %+v", st)
	}
	dropped := logs.FilterMessage("audit entry dropped").All()
	if len(dropped) != 1 || dropped[0].Level != zap.ErrorLevel {
		t.Fatalf("drop log lines: %+v", logs.All())
	}
	for _, l := range logs.All() {
		line := fmt.Sprintf("%s %v", l.Message, l.ContextMap())
		if strings.Contains(line, patientA) || strings.Contains(line, clinician.Name) {
			t.Fatalf("a log line holds patient or user detail: %s", line)
		}
	}
	close(s.release)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.Written != 2 {
		t.Fatalf("stats after release %+v", st)
	}
}

// The whole path: a GraphQL-like handler that touches patients, behind the
// middleware, the writer, the audit stream and the trail.
func TestTrail_answers_who_has_looked_at_a_record(t *testing.T) {
	s := newStore(t)
	bus, err := eventbus.New(eventbus.Config{Store: s, Checkpoints: checkpoint.NewMemory(), Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	trail := audit.NewTrail()
	if err := trail.Register(bus); err != nil {
		t.Fatal(err)
	}
	go bus.Run(context.Background())
	defer bus.Close()
	<-bus.Running()
	w := newWriter(t, audit.WriterConfig{Store: s, FlushInterval: 5 * time.Millisecond})

	// The handler touches the patients named in the X-Touch header.
	h := audit.Middleware(w, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if n := r.Header.Get("X-Touch"); n != "" {
			audit.Touch(r.Context(), strings.Split(n, ",")...)
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("the handler could not read the body: %v", err)
		}
	}))
	do := func(v *auth.Viewer, touch, query, opName string) {
		b, _ := json.Marshal(map[string]any{"query": query, "operationName": opName})
		req := httptest.NewRequest(http.MethodPost, "/subgraphs/referrals/graphql", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Touch", touch)
		if v != nil {
			req = req.WithContext(auth.WithViewer(req.Context(), *v))
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	glass := clinician
	glass.Subject, glass.BreakGlassReason = "u-stone-2", "patient collapsed in Leek clinic"

	do(&clinician, patientA+","+patientB, `query PatientReferrals { patient(nhsNumber: "x") { referrals { id } } }`, "")
	do(&clinician, "", `{ serverInfo { version } }`, "")                       // touches no one: no entry
	do(nil, patientA, `{ patient { id } }`, "")                                // no viewer: no entry
	do(&admin, "", `mutation Triage { triageReferral(input: {}) { id } }`, "") // a command: always
	do(&glass, patientA, `query A { a } query B { patient { id } }`, "B")      // break glass
	do(&clinician, patientB, `# mutation in a comment
		{ patient(nhsNumber: "mutation { x }") { referrals { id } } }`, "")

	eventually(t, "the trail to show the reads of A", func() bool { return len(trail.For(patientA)) == 2 })
	eventually(t, "the trail to show the reads of B", func() bool { return len(trail.For(patientB)) == 2 })
	a := trail.For(patientA)
	newest, oldest := a[0], a[1]
	if !newest.At.After(oldest.At) && !newest.At.Equal(oldest.At) {
		t.Fatalf("not newest first: %+v", a)
	}
	if oldest.Subject != clinician.Subject || oldest.Role != "ict_clinician" || oldest.Organisation != "MPFT" ||
		oldest.Operation != "PatientReferrals" || oldest.Kind != audit.Read || oldest.Endpoint != "/subgraphs/referrals/graphql" || oldest.BreakGlass {
		t.Fatalf("clinician's read: %+v", oldest)
	}
	if newest.Subject != "u-stone-2" || !newest.BreakGlass || newest.BreakGlassReason != glass.BreakGlassReason || newest.Operation != "B" {
		t.Fatalf("break-glass read: %+v", newest)
	}
	b := trail.For(patientB)
	if b[0].Operation != "/subgraphs/referrals/graphql" || b[0].Kind != audit.Read {
		t.Fatalf("an unnamed read is named by its path, and a mutation in a string or comment is no mutation: %+v", b[0])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// The admin's mutation touched no patient but was written.
	var cmds int
	for _, e := range readAudit(t, s, time.Now()) {
		if e.Kind == audit.Command {
			cmds++
			if e.Subject != admin.Subject || e.Operation != "Triage" || len(e.NHSNumbers) != 0 {
				t.Fatalf("command entry %+v", e)
			}
		}
	}
	if cmds != 1 {
		t.Fatalf("%d command entries, want 1", cmds)
	}
	if got := trail.For("9999999999"); len(got) != 0 {
		t.Fatalf("a patient nobody read has a trail: %+v", got)
	}
}

func TestTrail_ignores_a_redelivered_event(t *testing.T) {
	trail := audit.NewTrail()
	e := &audit.Entry{RequestID: "r1", Subject: "u1", NHSNumbers: []string{patientA}, At: time.Now()}
	d := eventbus.Delivery{Stream: audit.Stream(e.At), Revision: 0, Position: 7}
	ctx := eventbus.WithDelivery(context.Background(), d)
	for i := 0; i < 2; i++ {
		if err := trail.OnPatientRecordAccessed(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if got := trail.For(patientA); len(got) != 1 {
		t.Fatalf("%d entries after a redelivery, want 1", len(got))
	}
	wctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := trail.WaitFor(wctx, 7); err != nil {
		t.Fatal(err)
	}
}

func TestMiddleware_names_the_operation_and_its_kind(t *testing.T) {
	for _, tc := range []struct {
		query, name string
		wantName    string
		wantKind    audit.Kind
	}{
		{`{ me { id } }`, "", "/graphql", audit.Read},
		{`query Me { me { id } }`, "", "Me", audit.Read},
		{`mutation { triageReferral(input: {outcome: ACCEPT}) { id } }`, "", "/graphql", audit.Command},
		{`mutation Accept($in: TriageReferralInput!) @trace { triageReferral(input: $in) { id } }`, "", "Accept", audit.Command},
		{`query Q { a } mutation M { b }`, "M", "M", audit.Command},
		{`query Q { a } mutation M { b }`, "Q", "Q", audit.Read},
		{`fragment F on Referral { id } query Q { referral(id: "1") { ...F } }`, "", "Q", audit.Read},
		{`{ a(s: """ mutation { x } """) }`, "", "/graphql", audit.Read},
		{`query Q { a(s: "say \"mutation\"") }`, "", "Q", audit.Read},
	} {
		w, err := audit.NewWriter(audit.WriterConfig{Store: newStore(t)})
		if err != nil {
			t.Fatal(err)
		}
		var got audit.Operation
		h := audit.Middleware(w, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			rec, _ := audit.FromContext(r.Context())
			got = rec.Operation()
		}))
		b, _ := json.Marshal(map[string]any{"query": tc.query, "operationName": tc.name})
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		h.ServeHTTP(httptest.NewRecorder(), req)
		if got.Name != tc.wantName || got.Kind != tc.wantKind {
			t.Errorf("%s (%q): got %+v, want %s %s", tc.query, tc.name, got, tc.wantName, tc.wantKind)
		}
		w.Close()
	}
}
