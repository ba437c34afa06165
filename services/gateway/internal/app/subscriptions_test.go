package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"carecoord/pkg/auth"
	"carecoord/pkg/demo"
	"carecoord/pkg/locality"
)

// The subscriptions end to end in one process: a real server, real
// WebSocket clients speaking graphql-transport-ws, events caused by real
// mutations over HTTP.

// tokens issues development tokens signed with the data directory's key,
// as `carecoord token` does.
type tokens struct {
	t   *testing.T
	key *auth.DevKey
}

func newTokens(t *testing.T, dataDir string) tokens {
	key, err := auth.LoadOrCreateDevKey(filepath.Join(dataDir, "dev-signing-key"))
	if err != nil {
		t.Fatal(err)
	}
	return tokens{t: t, key: key}
}

func (k tokens) issue(role auth.Role, localities ...string) string {
	tok, err := k.key.Issue(auth.Viewer{Subject: "test-" + string(role) + strings.Join(localities, "-"), Name: "Test " + string(role), Role: role, Localities: localities}, time.Hour)
	if err != nil {
		k.t.Fatal(err)
	}
	return tok
}

// gqlPost runs one GraphQL request over HTTP and fails the test on errors.
func gqlPost(t *testing.T, url, token, query string, vars map[string]any) json.RawMessage {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if len(out.Errors) > 0 {
		t.Fatalf("%s: errors %s", query, out.Errors)
	}
	return out.Data
}

// wsSub is one subscription on its own graphql-transport-ws connection.
type wsSub struct {
	t  *testing.T
	ws *websocket.Conn
}

type wsMsg struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

func subscribe(t *testing.T, url, token, query string) *wsSub {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	s := &wsSub{t: t, ws: ws}
	init := map[string]any{}
	if token != "" {
		init["authorization"] = "Bearer " + token
	}
	s.send(map[string]any{"type": "connection_init", "payload": init})
	if m := s.next(5 * time.Second); m.Type != "connection_ack" {
		t.Fatalf("want connection_ack, got %s %s", m.Type, m.Payload)
	}
	s.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query}})
	return s
}

func (s *wsSub) send(v any) {
	s.t.Helper()
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.ws.Write(ctx, websocket.MessageText, b); err != nil {
		s.t.Fatal(err)
	}
}

// next reads the next message other than ping/pong, or fails the test.
func (s *wsSub) next(timeout time.Duration) wsMsg {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		_, b, err := s.ws.Read(ctx)
		if err != nil {
			s.t.Fatalf("reading the subscription: %v", err)
		}
		var m wsMsg
		if err := json.Unmarshal(b, &m); err != nil {
			s.t.Fatalf("server sent %s", b)
		}
		if m.Type == "ping" {
			s.send(map[string]any{"type": "pong"})
			continue
		}
		if m.Type != "pong" {
			return m
		}
	}
}

// until calls write every half second, up to 20 times, until the
// subscription delivers a message, and returns it.
func (s *wsSub) until(t *testing.T, write func()) wsMsg {
	t.Helper()
	msgs := make(chan wsMsg, 1)
	fail := make(chan error, 1)
	go func() {
		_, b, err := s.ws.Read(context.Background())
		if err != nil {
			fail <- err
			return
		}
		var m wsMsg
		_ = json.Unmarshal(b, &m)
		msgs <- m
	}()
	for range 20 {
		write()
		select {
		case m := <-msgs:
			return m
		case err := <-fail:
			t.Fatalf("reading the subscription: %v", err)
		case <-time.After(500 * time.Millisecond):
		}
	}
	t.Fatal("no event after 20 writes")
	return wsMsg{}
}

// errorCode is the extensions.code of an error message's first error.
func errorCode(m wsMsg) string {
	var errs []struct {
		Extensions struct{ Code string }
	}
	_ = json.Unmarshal(m.Payload, &errs)
	if len(errs) == 0 {
		return ""
	}
	return errs[0].Extensions.Code
}

// data decodes a next message's payload.data into v.
func (m wsMsg) data(t *testing.T, v any) {
	t.Helper()
	var p struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || m.Type != "next" {
		t.Fatalf("want next, got %s %s", m.Type, m.Payload)
	}
	if len(p.Errors) > 0 {
		t.Fatalf("next with errors: %s", p.Errors)
	}
	if err := json.Unmarshal(p.Data, v); err != nil {
		t.Fatal(err)
	}
}

const reportFallMutation = `mutation($in: ReportFallInput!) { reportFall(input: $in) { id } }`

func reportFall(t *testing.T, url, token string, loc locality.ID, nhs string) string {
	t.Helper()
	in := map[string]any{"source": "TELECARE", "localityId": string(loc),
		"address": map[string]any{"text": "1 Example Street", "postcode": "ST13 5AB"}}
	if nhs != "" {
		in["patient"] = map[string]any{"nhsNumber": nhs}
	}
	var out struct{ ReportFall struct{ ID string } }
	if err := json.Unmarshal(gqlPost(t, url, token, reportFallMutation, map[string]any{"in": in}), &out); err != nil {
		t.Fatal(err)
	}
	return out.ReportFall.ID
}

func TestSubscriptions_localityChanged_delivers_the_localitys_events_to_its_clinicians(t *testing.T) {
	cfg := testConfig(t)
	r := startRun(t, cfg)
	tok := newTokens(t, cfg.DataDir)
	leekClinician := tok.issue(auth.ICTClinician, "leek")
	dispatcher := tok.issue(auth.FallsDispatcher)
	admin := tok.issue(auth.Admin)

	// Out of reach, or a role that does not work with a locality's
	// caseload: FORBIDDEN, before any event.
	for name, token := range map[string]string{
		"a Tamworth clinician": tok.issue(auth.ICTClinician, "tamworth"),
		"a falls dispatcher":   dispatcher,
		"a bed manager":        tok.issue(auth.BedManager),
	} {
		s := subscribe(t, r.url, token, `subscription { localityChanged(localityId: "leek") { id } }`)
		if m := s.next(5 * time.Second); m.Type != "error" || errorCode(m) != "FORBIDDEN" {
			t.Errorf("%s: got %s %s, want error FORBIDDEN", name, m.Type, m.Payload)
		}
	}

	s := subscribe(t, r.url, leekClinician, `subscription { localityChanged(localityId: "leek") {
		localityId service type at
		... on LocalityEvent { incident: fall { id localityId patient { nhsNumber } } }
		referral { id } } }`)
	// The server subscribes from the log's end, and the client cannot tell
	// when it has: report a pair of falls (Tamworth's, then Leek's) every
	// half second until the first event arrives.
	people := demo.NewPeople(7, locality.Default(), time.Now())
	patient := people.In("leek").NHSNumber.String()
	leekFalls := map[string]bool{}
	m := s.until(t, func() {
		reportFall(t, r.url, dispatcher, "tamworth", "")
		leekFalls[reportFall(t, r.url, dispatcher, "leek", patient)] = true
	})
	var got struct {
		LocalityChanged struct {
			LocalityID, Service, Type, At string
			Incident                      *struct {
				ID, LocalityID string
				Patient        struct{ NHSNumber string }
			}
			Referral *struct{ ID string }
		}
	}
	m.data(t, &got)
	ev := got.LocalityChanged
	if ev.LocalityID != "leek" || ev.Service != "falls" || ev.Type != "FallReported" || ev.At == "" {
		t.Fatalf("event %+v, want Leek's FallReported (Tamworth's are not Leek's)", ev)
	}
	if ev.Incident == nil || !leekFalls[ev.Incident.ID] || ev.Incident.Patient.NHSNumber != patient || ev.Referral != nil {
		t.Fatalf("event's records %+v %+v, want one of the Leek incidents with its patient and no referral", ev.Incident, ev.Referral)
	}

	// Showing the patient over the subscription was audited, as a query is.
	waitAudited(t, r.url, admin, patient, "the subscription", func(e auditedEntry) bool {
		return e.Operation == "subscription localityChanged" && e.Role == string(auth.ICTClinician)
	})
}

func TestSubscriptions_bedBoardChanged_delivers_beds_of_the_hospital_asked_for(t *testing.T) {
	cfg := testConfig(t)
	r := startRun(t, cfg)
	tok := newTokens(t, cfg.DataDir)
	manager := tok.issue(auth.BedManager)

	var board struct {
		CommunityHospitals []struct {
			ID    string
			Wards []struct {
				Beds []struct{ ID, Status string }
			}
		}
	}
	if err := json.Unmarshal(gqlPost(t, r.url, manager, `{ communityHospitals { id wards { beds { id status } } } }`, nil), &board); err != nil {
		t.Fatal(err)
	}
	if len(board.CommunityHospitals) < 2 {
		t.Fatalf("want at least two hospitals, got %d", len(board.CommunityHospitals))
	}
	availableBeds := func(h int) []string {
		var ids []string
		for _, w := range board.CommunityHospitals[h].Wards {
			for _, b := range w.Beds {
				if b.Status == "AVAILABLE" {
					ids = append(ids, b.ID)
				}
			}
		}
		if len(ids) < 20 {
			t.Fatalf("hospital %s has %d available beds, want 20", board.CommunityHospitals[h].ID, len(ids))
		}
		return ids
	}
	hospital := board.CommunityHospitals[0].ID
	bedsHere, bedsElsewhere := availableBeds(0), availableBeds(1)

	// With no token the subscription is refused: UNAUTHENTICATED.
	if m := subscribe(t, r.url, "", `subscription { bedBoardChanged { id } }`).next(5 * time.Second); m.Type != "error" || errorCode(m) != "UNAUTHENTICATED" {
		t.Errorf("no token: got %s %s, want error UNAUTHENTICATED", m.Type, m.Payload)
	}

	// Every signed-in role sees the bed board, as the bedBoard query shows
	// it; an ICT clinician watches too.
	s := subscribe(t, r.url, tok.issue(auth.ICTClinician, "leek"), fmt.Sprintf(`subscription { bedBoardChanged(hospitalId: %q) { id hospitalId status closureReason } }`, hospital))
	closeBed := `mutation($in: CloseBedInput!) { closeBed(input: $in) { id status } }`
	closed := map[string]bool{}
	i := 0
	m := s.until(t, func() {
		gqlPost(t, r.url, manager, closeBed, map[string]any{"in": map[string]any{"bedId": bedsElsewhere[i], "reason": "STAFFING"}})
		gqlPost(t, r.url, manager, closeBed, map[string]any{"in": map[string]any{"bedId": bedsHere[i], "reason": "ESTATES"}})
		closed[bedsHere[i]] = true
		i++
	})
	var got struct {
		BedBoardChanged struct{ ID, HospitalID, Status, ClosureReason string }
	}
	m.data(t, &got)
	b := got.BedBoardChanged
	if !closed[b.ID] || b.HospitalID != hospital || b.Status != "CLOSED" || b.ClosureReason != "ESTATES" {
		t.Fatalf("event %+v, want a bed of %s closed for ESTATES (the other hospital's beds are not asked for)", b, hospital)
	}
}

// Queries and mutations may also go over the WebSocket: through the same
// supergraph, limits and audit as over HTTP.
func TestWebSocket_queries_run_as_over_HTTP_audited_and_limited(t *testing.T) {
	cfg := testConfig(t)
	r := startRun(t, cfg)
	tok := newTokens(t, cfg.DataDir)
	dispatcher := tok.issue(auth.FallsDispatcher)
	people := demo.NewPeople(11, locality.Default(), time.Now())
	patient := people.In("leek").NHSNumber.String()
	fallID := reportFall(t, r.url, dispatcher, "leek", patient)

	s := subscribe(t, r.url, dispatcher, fmt.Sprintf(`query Incident { fallIncident(id: %q) { id patient { nhsNumber } } }`, fallID))
	var got struct {
		FallIncident struct {
			ID      string
			Patient struct{ NHSNumber string }
		}
	}
	s.next(10*time.Second).data(t, &got)
	if got.FallIncident.ID != fallID || got.FallIncident.Patient.NHSNumber != patient {
		t.Fatalf("fallIncident over WebSocket = %+v", got.FallIncident)
	}
	if m := s.next(5 * time.Second); m.Type != "complete" {
		t.Fatalf("after the result: %s %s, want complete", m.Type, m.Payload)
	}

	deep := `{ locality(id: "leek") {` + strings.Repeat(" referrals { locality {", 5) + " referrals { id }" + strings.Repeat(" } }", 5) + " } }"
	if m := subscribe(t, r.url, dispatcher, deep).next(5 * time.Second); m.Type != "error" || errorCode(m) != "QUERY_TOO_COMPLEX" {
		t.Fatalf("a query 13 levels deep: %s %s, want error QUERY_TOO_COMPLEX", m.Type, m.Payload)
	}

	admin := tok.issue(auth.Admin)
	waitAudited(t, r.url, admin, patient, "the WebSocket query", func(e auditedEntry) bool {
		return e.Operation == "Incident" && e.Endpoint == "/graphql (websocket)"
	})
}

// The admin's view of the store: its last position and a digest of the
// log, equal on replicas holding the same log; other roles are refused.
func TestServerInfo_log_position_and_store_digest(t *testing.T) {
	cfg := testConfig(t)
	r := startRun(t, cfg)
	tok := newTokens(t, cfg.DataDir)
	admin := tok.issue(auth.Admin)
	dispatcher := tok.issue(auth.FallsDispatcher)
	reportFall(t, r.url, dispatcher, "leek", "")
	var info struct {
		ServerInfo struct {
			LogPosition string
			Node        *struct{ ID string }
		}
	}
	if err := json.Unmarshal(gqlPost(t, r.url, admin, `{ serverInfo { logPosition node { id } } }`, nil), &info); err != nil {
		t.Fatal(err)
	}
	if info.ServerInfo.LogPosition == "" || info.ServerInfo.LogPosition == "0" || info.ServerInfo.Node != nil {
		t.Fatalf("serverInfo = %+v, want a position and no raft node", info.ServerInfo)
	}
	digest := func(upTo string) (int, string) {
		var d struct {
			StoreDigest struct {
				Events int
				SHA256 string `json:"sha256"`
			}
		}
		if err := json.Unmarshal(gqlPost(t, r.url, admin, `query($p: String!) { storeDigest(upTo: $p) { events sha256 } }`, map[string]any{"p": upTo}), &d); err != nil {
			t.Fatal(err)
		}
		return d.StoreDigest.Events, d.StoreDigest.SHA256
	}
	n1, d1 := digest(info.ServerInfo.LogPosition)
	reportFall(t, r.url, dispatcher, "leek", "")
	n2, d2 := digest(info.ServerInfo.LogPosition)
	if n1 == 0 || len(d1) != 64 || n2 != n1 || d2 != d1 {
		t.Fatalf("digests up to %s: %d %s then %d %s, want the same non-empty digest however the log grows after", info.ServerInfo.LogPosition, n1, d1, n2, d2)
	}
	if _, d3 := digest("999999"); d3 == d1 {
		t.Fatal("the digest of the whole, longer log equals the shorter one's")
	}
	body, _ := json.Marshal(map[string]any{"query": `{ storeDigest(upTo: "1") { sha256 } }`})
	req, _ := http.NewRequest(http.MethodPost, r.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+dispatcher)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(b), `"FORBIDDEN"`) {
		t.Fatalf("a dispatcher's storeDigest: %s, want FORBIDDEN", b)
	}
}

// "Read-Consistency: linearizable" answers once the read models show every
// write made before the request: a fall reported and read at once is there.
func TestLinearizable_read_shows_every_earlier_write(t *testing.T) {
	cfg := testConfig(t)
	r := startRun(t, cfg)
	tok := newTokens(t, cfg.DataDir)
	dispatcher := tok.issue(auth.FallsDispatcher)
	for i := range 5 {
		id := reportFall(t, r.url, dispatcher, "leek", "")
		body, _ := json.Marshal(map[string]any{"query": `query($id: ID!) { fallIncident(id: $id) { id } }`, "variables": map[string]any{"id": id}})
		req, _ := http.NewRequest(http.MethodPost, r.url+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+dispatcher)
		req.Header.Set(ConsistencyHeader, "linearizable")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(b), id) {
			t.Fatalf("read %d: %d %s, want the incident just reported", i, res.StatusCode, b)
		}
	}
}

// auditedEntry is what waitAudited reads of an audit entry.
type auditedEntry struct{ Operation, Endpoint, Role string }

// waitAudited waits (audit entries are written in batches) until the
// patient's audit trail has an entry that match accepts.
func waitAudited(t *testing.T, url, admin, nhs, what string, match func(auditedEntry) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var trail struct{ AuditTrail []auditedEntry }
		_ = json.Unmarshal(gqlPost(t, url, admin, `query($n: String!) { auditTrail(nhsNumber: $n) { operation endpoint role } }`, map[string]any{"n": nhs}), &trail)
		for _, e := range trail.AuditTrail {
			if match(e) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit trail %+v has no entry for %s", trail.AuditTrail, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
