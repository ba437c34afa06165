package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// amBreakGlassReason is the reason the Leek clinician gives to open a
// Tamworth patient's record.
const amBreakGlassReason = "Matrix: patient collapsed at Leek walk-in centre, Tamworth record needed"

// runBreakGlass: with X-Break-Glass-Reason the Leek clinician reads one
// Tamworth patient's record; without it they do not; a role without access
// to a service gains none by giving a reason; and the reads are audited,
// flagged and with the reason. Break-glass opens a patient (ARCHITECTURE.md,
// DOMAIN.md: "access only with a legitimate relationship ... break-glass
// access needs a reason"), so it opens neither a locality's lists nor the
// county-wide queue, and it does not change records.
func (w *amWorld) runBreakGlass(t *testing.T) {
	x := w.fx[amLocalityB]
	// What the Leek clinician may see when breaking glass for this patient:
	// the patient's record, nobody else's.
	glass := map[string]bool{}
	for n := range w.protected["ict"] {
		glass[n] = true
	}
	for _, n := range append([]string{x.nhs}, x.extraNHS...) {
		delete(glass, n)
	}
	w.protected["ict+glass"] = glass

	n := map[string]any{"n": x.nhs}
	id := func(v string) map[string]any { return map[string]any{"id": v} }
	patientRep := map[string]any{"r": []any{map[string]any{"__typename": "Patient", "nhsNumber": x.nhs}}}
	type bgRow struct {
		name string
		req  amReq
		// With the reason, without it, and the bed manager with a reason
		// ('-': not asked).
		withReason, without, bedManager byte
	}
	rows := []bgRow{
		{"patient.referrals", amReq{query: `query PatientReferrals($n: String!) { patient(nhsNumber: $n) { referrals { id patientDetails { nhsNumber } } } }`, vars: n, markers: []string{x.refRead, x.nhs}}, 'A', 'H', 'D'},
		{"patient.caseloadEpisodes", amReq{query: `query($n: String!) { patient(nhsNumber: $n) { caseloadEpisodes { id nhsNumber } } }`, vars: n, markers: []string{x.episode, x.nhs}}, 'A', 'H', 'D'},
		{"patient.bedStays", amReq{query: `query($n: String!) { patient(nhsNumber: $n) { bedStays { id nhsNumber } } }`, vars: n, markers: []string{x.stayRead, x.nhs}}, 'A', 'H', '-'},
		{"patient.falls", amReq{query: `query($n: String!) { patient(nhsNumber: $n) { falls { id patient { nhsNumber } } } }`, vars: n, markers: []string{x.incRead, x.nhs}}, 'A', 'H', 'D'},
		{"patient.timeline", amReq{query: `query($n: String!) { patient(nhsNumber: $n) { timeline { refId } } }`, vars: n, markers: []string{x.refRead, x.episode, x.stayRead, x.incRead}}, 'A', 'H', '-'},
		{"patient.name", amReq{query: `query($n: String!) { patient(nhsNumber: $n) { name dateOfBirth } }`, vars: n, markers: []string{x.family, x.dob}}, 'A', 'H', 'D'},
		{"referral(id)", amReq{query: `query($id: ID!) { referral(id: $id) { id patientDetails { nhsNumber } } }`, vars: id(x.refRead), markers: []string{x.refRead, x.nhs}}, 'A', 'H', 'F'},
		{"caseloadEpisode(id)", amReq{query: `query($id: ID!) { caseloadEpisode(id: $id) { id nhsNumber } }`, vars: id(x.episode), markers: []string{x.episode, x.nhs}}, 'A', 'H', 'F'},
		{"fallIncident(id)", amReq{query: `query($id: ID!) { fallIncident(id: $id) { id patient { nhsNumber } } }`, vars: id(x.incRead), markers: []string{x.incRead, x.nhs}}, 'A', 'D', 'F'},
		{"bedStay(id)", amReq{query: `query($id: ID!) { bedStay(id: $id) { id nhsNumber } }`, vars: id(x.stayRead), markers: []string{x.stayRead, x.nhs}}, 'A', 'D', '-'},
		{"_entities@referrals.Patient.referrals", amReq{path: "/subgraphs/referrals/federated",
			query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Patient { referrals { id } } } }`, vars: patientRep, markers: []string{x.refRead}}, 'A', 'H', 'D'},
		{"_entities@caseload.Patient.caseloadEpisodes", amReq{path: "/subgraphs/caseload/federated",
			query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Patient { caseloadEpisodes { id } } } }`, vars: patientRep, markers: []string{x.episode}}, 'A', 'H', 'D'},
		{"patient.referrals@/subgraphs/referrals/graphql", amReq{path: "/subgraphs/referrals/graphql",
			query: `query($n: String!) { patient(nhsNumber: $n) { referrals { id } } }`, vars: n, markers: []string{x.refRead}}, 'A', 'H', 'D'},
		// Not a patient: a locality's lists and the county-wide queue.
		{"locality.referrals", amReq{query: `query($l: ID!) { locality(id: $l) { referrals { id patientDetails { nhsNumber } } } }`, vars: map[string]any{"l": x.loc}, markers: []string{x.refRead, x.nhs}}, 'F', 'F', 'F'},
		{"locality.caseload", amReq{query: `query($l: ID!) { locality(id: $l) { caseload { id nhsNumber } } }`, vars: map[string]any{"l": x.loc}, markers: []string{x.episode, x.nhs}}, 'F', 'F', 'F'},
		{"fallsQueue", amReq{query: `{ fallsQueue { id patient { nhsNumber } } }`, markers: []string{x.incRead, x.nhs}}, 'H', 'H', 'F'},
		// Not a read.
		{"mutation recordReferralPatientChoice", amReq{query: `mutation($in: RecordReferralPatientChoiceInput!) { recordReferralPatientChoice(commandId: "am-glass-choice", input: $in) { id status } }`,
			vars: map[string]any{"in": map[string]any{"referralId": x.refMut}}, markers: []string{x.nhs}}, 'F', 'F', 'F'},
	}
	t.Run("break_glass", func(t *testing.T) {
		for _, r := range rows {
			t.Run(r.name, func(t *testing.T) {
				path := r.req.path
				if path == "" {
					path = "/graphql"
				}
				mutation := strings.HasPrefix(r.req.query, "mutation")
				for _, c := range []struct {
					name, token, reason, key string
					want                     byte
				}{
					{"ict_clinician(leek)_on_tamworth_with_reason", w.tokens["ict"], amBreakGlassReason, "ict+glass", r.withReason},
					{"ict_clinician(leek)_on_tamworth_without_reason", w.tokens["ict"], "", "ict", r.without},
					{"bed_manager_on_tamworth_with_reason", w.tokens["bed_manager"], amBreakGlassReason, "bed_manager", r.bedManager},
				} {
					if c.want == '-' {
						continue
					}
					t.Run(c.name, func(t *testing.T) {
						res := w.c.post(path, c.token, c.reason, r.req.query, r.req.vars)
						for _, p := range w.check(c.key, c.want, mutation, r.req, res) {
							t.Errorf("%s as %s: %s\nquery: %s\nHTTP %d: %s", r.name, c.name, p, amOneLine(r.req.query), res.status, amRedact(res.body))
						}
					})
				}
			})
		}

		t.Run("audit_trail_records_the_reason", func(t *testing.T) {
			// Written in batches and projected asynchronously: poll.
			var last string
			deadline := time.Now().Add(8 * time.Second)
			for {
				res := w.c.post("/graphql", w.tokens["admin"], "", `query($n: String!) { auditTrail(nhsNumber: $n) {
					userId role operation kind breakGlass breakGlassReason } }`, map[string]any{"n": x.nhs})
				var data struct{ AuditTrail []auditEntry }
				if len(res.Errors) > 0 || json.Unmarshal(res.Data, &data) != nil {
					t.Fatalf("auditTrail: %s", amRedact(res.body))
				}
				last = amRedact(res.Data)
				var found *auditEntry
				for i, e := range data.AuditTrail {
					if e.UserID == amLeekSubject && e.BreakGlass {
						found = &data.AuditTrail[i]
						if e.Operation == "PatientReferrals" {
							break
						}
					}
				}
				if found != nil {
					if found.BreakGlassReason == nil || *found.BreakGlassReason != amBreakGlassReason || found.Role != "ict_clinician" || found.Kind != "READ" {
						t.Errorf("the break-glass read is audited as %+v, want role ict_clinician, kind READ, breakGlass with the reason given", *found)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("no break-glass entry of the Leek clinician in the patient's audit trail after 8s: %s", last)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	})
}

// amSubRow is one subscription of the matrix.
type amSubRow struct {
	field  string
	expect string
	// query is the subscription with its selection; sel is given the
	// selection of the field's type the server describes.
	query func(w *amWorld) string
	vars  func(x *amFixture) map[string]any
	// trigger causes an event about x, as admin, over HTTP.
	trigger func(w *amWorld, x *amFixture, n int)
	// about reports whether an event's payload is about x.
	about func(x *amFixture, payload json.RawMessage) bool
	// final, when set, causes once, when every subscription is live, the
	// event that carries x's patient (markers): allowed cells must get it,
	// hidden ones the event without the patient.
	final   func(w *amWorld, x *amFixture)
	markers func(x *amFixture) []string
}

func amSubscriptionRows() []amSubRow {
	field := func(payload json.RawMessage, name, key string) string {
		var p struct{ Data map[string]map[string]any }
		_ = json.Unmarshal(payload, &p)
		s, _ := p.Data[name][key].(string)
		return s
	}
	return []amSubRow{
		{
			// Dispatchers and admins (schema); the falls service filters
			// each incident by reach as well.
			field: "fallsQueueChanged", expect: "F F F A A U",
			query: func(*amWorld) string {
				return `subscription { fallsQueueChanged { id localityId patient { nhsNumber } } }`
			},
			markers: func(x *amFixture) []string { return []string{x.nhs} },
			vars:    func(*amFixture) map[string]any { return nil },
			trigger: func(w *amWorld, x *amFixture, n int) {
				w.c.must(w.tokens["admin"], `mutation($c: String, $in: ReportFallInput!) { reportFall(commandId: $c, input: $in) { id } }`,
					map[string]any{"c": fmt.Sprintf("am-sub-fall-%s-%d", x.loc, n), "in": x.fallInput(nil)}, nil)
			},
			about: func(x *amFixture, p json.RawMessage) bool {
				return field(p, "fallsQueueChanged", "localityId") == x.loc
			},
		},
		{
			// Every signed-in role, as the bedBoard query (the bed board's
			// states are no one's data); who is in the bed (Bed.stay) only
			// for those who may see the patient: hidden from the Leek
			// clinician on Tamworth's hospital and from the dispatcher.
			field: "bedBoardChanged", expect: "A H A H A U",
			markers: func(x *amFixture) []string { return []string{x.stayRes, x.extraNHS[len(x.extraNHS)-1]} },
			final: func(w *amWorld, x *amFixture) {
				w.c.must(w.tokens["admin"], `mutation($c: String, $in: AdmitPatientInput!) { admitPatient(commandId: $c, input: $in) { id } }`,
					map[string]any{"c": "am-sub-admit-" + x.loc, "in": map[string]any{"stayId": x.stayRes}}, nil)
			},
			query: func(*amWorld) string {
				return `subscription($h: ID) { bedBoardChanged(hospitalId: $h) { id hospitalId status stay { id nhsNumber } } }`
			},
			vars: func(x *amFixture) map[string]any { return map[string]any{"h": x.hospital} },
			trigger: func(w *amWorld, x *amFixture, n int) {
				var b struct {
					BedBoard []struct{ Beds []struct{ ID, Status string } }
				}
				w.c.must(w.tokens["admin"], `query($h: ID) { bedBoard(hospitalId: $h) { beds { id status } } }`, map[string]any{"h": x.hospital}, &b)
				for _, wd := range b.BedBoard {
					for _, bd := range wd.Beds {
						if bd.Status == "AVAILABLE" {
							in := map[string]any{"bedId": bd.ID}
							w.c.must(w.tokens["admin"], `mutation($c: String, $in: CloseBedInput!) { closeBed(commandId: $c, input: $in) { id } }`,
								map[string]any{"c": fmt.Sprintf("am-sub-close-%s-%d", x.loc, n), "in": map[string]any{"bedId": bd.ID, "reason": "STAFFING"}}, nil)
							w.c.must(w.tokens["admin"], `mutation($c: String, $in: ReopenBedInput!) { reopenBed(commandId: $c, input: $in) { id } }`,
								map[string]any{"c": fmt.Sprintf("am-sub-reopen-%s-%d", x.loc, n), "in": in}, nil)
							return
						}
					}
				}
				w.c.t.Fatalf("no available bed at %s to close and reopen", x.hospital)
			},
			about: func(x *amFixture, p json.RawMessage) bool {
				return field(p, "bedBoardChanged", "hospitalId") == x.hospital
			},
		},
		{
			// ICT clinicians of the locality, and admins (schema).
			field: "localityChanged", expect: "A F F F A U",
			query: func(w *amWorld) string {
				return `subscription($l: ID!) { localityChanged(localityId: $l) { ` + amLeafSelection(w, "Subscription", "localityChanged") + `
					referral { id patientDetails { nhsNumber } } episode { id nhsNumber } fall { id patient { nhsNumber } }
					bedRequest { id patient { nhsNumber } } bedStay { id nhsNumber } } }`
			},
			markers: func(x *amFixture) []string { return []string{x.nhs} },
			vars:    func(x *amFixture) map[string]any { return map[string]any{"l": x.loc} },
			trigger: func(w *amWorld, x *amFixture, n int) {
				w.c.must(w.tokens["admin"], `mutation($c: String, $in: ReceiveReferralInput!) { receiveReferral(commandId: $c, input: $in) { id } }`,
					map[string]any{"c": fmt.Sprintf("am-sub-referral-%s-%d", x.loc, n), "in": x.referralInput(time.Now().Add(-5*time.Minute), false)}, nil)
			},
			about: func(x *amFixture, p json.RawMessage) bool {
				var d struct{ Data map[string]map[string]any }
				_ = json.Unmarshal(p, &d)
				if l, ok := d.Data["localityChanged"]["localityId"].(string); ok {
					return l == x.loc
				}
				return d.Data["localityChanged"] != nil
			},
		},
	}
}

// amLeafSelection is __typename and the scalar and enum fields of a root
// field's (unwrapped) type, for a subscription whose payload type the
// matrix does not know yet.
func amLeafSelection(w *amWorld, root, field string) string {
	type typeRef struct {
		Kind   string
		Name   *string
		OfType *typeRef
	}
	var rootType struct {
		Type struct {
			Fields []struct {
				Name string
				Type typeRef
			}
		} `json:"__type"`
	}
	w.c.must(w.tokens["admin"], `query($n: String!) { __type(name: $n) { fields { name type { kind name ofType { kind name ofType { kind name } } } } } }`,
		map[string]any{"n": root}, &rootType)
	name := ""
	for _, f := range rootType.Type.Fields {
		if f.Name != field {
			continue
		}
		for t := &f.Type; t != nil; t = t.OfType {
			if t.Name != nil {
				name = *t.Name
				break
			}
		}
	}
	sel := []string{"__typename"}
	var typ struct {
		Type *struct {
			Fields []struct {
				Name string
				Args []struct{ Name string }
				Type typeRef
			}
		} `json:"__type"`
	}
	w.c.must(w.tokens["admin"], `query($n: String!) { __type(name: $n) { fields { name args { name } type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }`,
		map[string]any{"n": name}, &typ)
	if typ.Type == nil {
		return strings.Join(sel, " ")
	}
	for _, f := range typ.Type.Fields {
		t := &f.Type
		for t.OfType != nil && (t.Kind == "NON_NULL" || t.Kind == "LIST") {
			t = t.OfType
		}
		if (t.Kind == "SCALAR" || t.Kind == "ENUM") && len(f.Args) == 0 {
			sel = append(sel, f.Name)
		}
	}
	return strings.Join(sel, " ")
}

// amWSRows are the matrix rows also asked over the WebSocket
// (graphql-transport-ws serves queries too), by name.
var amWSRows = []string{"Query.referral", "Patient.referrals"}

// amWSMessage is a line of matrix.mjs.
type amWSMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Payload json.RawMessage `json:"payload"`
	Error   json.RawMessage `json:"error"`
}

// amWSClient is one running matrix.mjs: one connection of one viewer.
type amWSClient struct {
	col   amColumn
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}

	mu       sync.Mutex
	messages []amWSMessage
	stderr   strings.Builder
}

func (c *amWSClient) snapshot() []amWSMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]amWSMessage(nil), c.messages...)
}

func (c *amWSClient) send(id, query string, vars map[string]any) error {
	line, _ := json.Marshal(map[string]any{"id": id, "query": query, "variables": vars})
	_, err := c.stdin.Write(append(line, '\n'))
	return err
}

// runSubscriptions opens one WebSocket per column, subscribes to every
// subscription row the server has (and asks the WS query rows), causes
// events over HTTP as admin until every allowed cell has one about its
// target, and then judges each cell.
func (w *amWorld) runSubscriptions(t *testing.T, wsDir string, subs []amSubRow, root amRootSet) {
	var present []amSubRow
	for _, s := range subs {
		if root.live["Subscription."+s.field] {
			present = append(present, s)
		}
	}
	queries := map[string]amRow{}
	for _, r := range amRows(w) {
		for _, name := range amWSRows {
			if r.name == name {
				queries[name] = r
			}
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	clients := make([]*amWSClient, len(amColumns))
	for i, col := range amColumns {
		cmd := exec.CommandContext(ctx, "node", "matrix.mjs", w.wsURL)
		cmd.Dir = wsDir
		cmd.Env = os.Environ()
		if tok := w.tokens[col.key]; tok != "" {
			cmd.Env = append(cmd.Env, "WS_AUTHORIZATION=Bearer "+tok)
		} else {
			cmd.Env = append(cmd.Env, "WS_AUTHORIZATION=")
		}
		c := &amWSClient{col: col, cmd: cmd, done: make(chan struct{})}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if c.stdin, err = cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = &amLockedWriter{mu: &c.mu, b: &c.stderr}
		if err := cmd.Start(); err != nil {
			t.Fatalf("node matrix.mjs: %v", err)
		}
		go func() {
			defer close(c.done)
			sc := bufio.NewScanner(stdout)
			sc.Buffer(make([]byte, 1<<20), 16<<20)
			for sc.Scan() {
				var m amWSMessage
				if json.Unmarshal(sc.Bytes(), &m) == nil {
					c.mu.Lock()
					c.messages = append(c.messages, m)
					c.mu.Unlock()
				}
			}
		}()
		clients[i] = c
		t.Cleanup(func() {
			_ = c.stdin.Close()
			select {
			case <-c.done:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
			}
			_ = cmd.Wait()
		})
	}
	// Subscribe once connected.
	for _, c := range clients {
		deadline := time.Now().Add(15 * time.Second)
		for !amHas(c.snapshot(), func(m amWSMessage) bool { return m.Type == "connected" }) {
			if time.Now().After(deadline) {
				c.mu.Lock()
				t.Fatalf("%s: the WebSocket was not acknowledged within 15s: %s", c.col.name, c.stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		x := w.fx[c.col.target]
		for _, s := range present {
			if err := c.send(s.field, s.query(w), s.vars(x)); err != nil {
				t.Fatal(err)
			}
		}
		for name, r := range queries {
			req := r.req(x, "")
			if err := c.send("q:"+name, req.query, req.vars); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Cause events until every allowed (or hidden) cell has one about its
	// target and every refused one its error; then, with every
	// subscription live, the events that carry the fixtures' patients,
	// until every allowed cell has its patient.
	cells := func(f func(i int, c *amWSClient, s amSubRow, want byte, msgs []amWSMessage) bool) bool {
		for i, c := range clients {
			msgs := c.snapshot()
			for _, s := range present {
				if !f(i, c, s, amRow{expect: s.expect}.want(i), msgs) {
					return false
				}
			}
		}
		return true
	}
	live := func(i int, c *amWSClient, s amSubRow, want byte, msgs []amWSMessage) bool {
		x := w.fx[c.col.target]
		return amHas(msgs, func(m amWSMessage) bool {
			if m.ID != s.field {
				return false
			}
			if want == 'A' || want == 'H' {
				return m.Type == "next" && s.about(x, m.Payload)
			}
			return m.Type == "error" || m.Type == "complete"
		})
	}
	delivered := func(i int, c *amWSClient, s amSubRow, want byte, msgs []amWSMessage) bool {
		if want != 'A' || s.markers == nil {
			return true
		}
		return amHas(msgs, func(m amWSMessage) bool {
			return m.ID == s.field && m.Type == "next" && amContainsAny(m.Payload, s.markers(w.fx[c.col.target]))
		})
	}
	if len(present) > 0 {
		deadline := time.Now().Add(20 * time.Second)
		for n := 0; !cells(live) && time.Now().Before(deadline); n++ {
			for _, s := range present {
				for _, loc := range []string{amLocalityA, amLocalityB} {
					s.trigger(w, w.fx[loc], n)
				}
			}
			time.Sleep(300 * time.Millisecond)
		}
		for _, s := range present {
			if s.final != nil {
				for _, loc := range []string{amLocalityA, amLocalityB} {
					s.final(w, w.fx[loc])
				}
			}
		}
		for deadline := time.Now().Add(10 * time.Second); !cells(delivered) && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
		// A moment for anything that should not come to come.
		time.Sleep(700 * time.Millisecond)
	} else {
		time.Sleep(300 * time.Millisecond)
	}
	for _, c := range clients {
		_ = c.stdin.Close()
	}
	for _, c := range clients {
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: matrix.mjs did not finish", c.col.name)
		}
	}

	for _, s := range subs {
		t.Run("Subscription."+s.field, func(t *testing.T) {
			if !root.live["Subscription."+s.field] {
				t.Skipf("Subscription.%s is not in the server's schema yet (API.md promises it): its row (%s) runs once it is", s.field, s.expect)
			}
			for i, c := range clients {
				t.Run(c.col.name, func(t *testing.T) {
					w.judgeSubscription(t, s, amRow{expect: s.expect}.want(i), c)
				})
			}
		})
	}
	for _, name := range amWSRows {
		r, ok := queries[name]
		if !ok {
			t.Errorf("WS row %s is not a matrix row", name)
			continue
		}
		t.Run(name+"@websocket", func(t *testing.T) {
			for i, c := range clients {
				t.Run(c.col.name, func(t *testing.T) {
					req := r.req(w.fx[c.col.target], "")
					res := amResp{status: http.StatusOK}
					for _, m := range c.snapshot() {
						if m.ID != "q:"+name {
							continue
						}
						switch m.Type {
						case "next":
							res.body = append(res.body, m.Payload...)
							var p struct {
								Data   json.RawMessage `json:"data"`
								Errors []amError       `json:"errors"`
							}
							_ = json.Unmarshal(m.Payload, &p)
							res.Data, res.Errors = p.Data, append(res.Errors, p.Errors...)
						case "error":
							res.body = append(res.body, m.Error...)
							var errs []amError
							if json.Unmarshal(m.Error, &errs) != nil {
								errs = []amError{{Message: string(m.Error)}}
							}
							res.Errors = append(res.Errors, errs...)
						}
					}
					if res.body == nil {
						t.Fatalf("%s over the WebSocket as %s: no answer", name, c.col.name)
					}
					for _, p := range w.check(c.col.key, r.want(i), false, req, res) {
						t.Errorf("%s over the WebSocket as %s: %s\nquery: %s\nanswer: %s", name, c.col.name, p, amOneLine(req.query), amRedact(res.body))
					}
				})
			}
		})
	}
}

// judgeSubscription checks one subscription cell against what its client
// received.
func (w *amWorld) judgeSubscription(t *testing.T, s amSubRow, want byte, c *amWSClient) {
	x := w.fx[c.col.target]
	var nexts, errs []amWSMessage
	var body []byte
	for _, m := range c.snapshot() {
		if m.ID != s.field {
			continue
		}
		switch m.Type {
		case "next":
			nexts = append(nexts, m)
			body = append(body, m.Payload...)
		case "error":
			errs = append(errs, m)
			body = append(body, m.Error...)
		}
	}
	report := func(format string, args ...any) {
		t.Errorf("Subscription.%s as %s: %s\nreceived %d events, %d errors: %s", s.field, c.col.name, fmt.Sprintf(format, args...), len(nexts), len(errs), amRedact(body))
	}
	key := c.col.key
	if leaks := w.leaks(key, body); len(leaks) > 0 {
		report("LEAK: %d NHS number(s) this viewer must never see", len(leaks))
	}
	code := func(code string) bool {
		for _, e := range errs {
			if strings.Contains(string(e.Error), `"`+code+`"`) {
				return true
			}
		}
		for _, n := range nexts {
			if strings.Contains(string(n.Payload), `"code":"`+code+`"`) {
				return true
			}
		}
		return false
	}
	withData := 0
	for _, n := range nexts {
		var p struct {
			Data   map[string]json.RawMessage
			Errors []any
		}
		if json.Unmarshal(n.Payload, &p) == nil && p.Data != nil && string(p.Data[s.field]) != "null" && len(p.Data[s.field]) > 0 {
			withData++
		}
	}
	var markers []string
	if s.markers != nil {
		markers = s.markers(x)
	}
	switch want {
	case 'A', 'H':
		about := 0
		for _, n := range nexts {
			if s.about(x, n.Payload) {
				about++
			}
		}
		switch {
		case len(errs) > 0 || code("FORBIDDEN") || code("UNAUTHENTICATED"):
			report("want the events, got errors")
		case about == 0:
			report("want an event about %s's record after causing them for 20s, got none", x.loc)
		case want == 'A' && len(markers) > 0 && !amContainsAny(body, markers):
			report("want the events with the patient, got none with them")
		case want == 'H' && amContainsAny(body, markers):
			report("want the events without the patient (hidden), got the patient's record")
		}
		// The Leek clinician never gets a Tamworth patient's record.
		if key == "ict" && s.markers != nil && amContainsAny(body, s.markers(w.fx[amLocalityB])) {
			report("the record of a patient out of reach (%s) was delivered", amLocalityB)
		}
	case 'F', 'U':
		wantCode := map[byte]string{'F': "FORBIDDEN", 'U': "UNAUTHENTICATED"}[want]
		if !code(wantCode) {
			report("want %s", wantCode)
		}
		if withData > 0 {
			report("want no events, got %d with data", withData)
		}
		if amContainsAny(body, markers) {
			report("the target's patient is in what was received")
		}
	default:
		report("unknown expectation %q", want)
	}
}

// amContainsAny reports whether b holds any of the markers.
func amContainsAny(b []byte, markers []string) bool {
	for _, m := range markers {
		if m != "" && strings.Contains(string(b), m) {
			return true
		}
	}
	return false
}

func amHas(msgs []amWSMessage, f func(amWSMessage) bool) bool {
	for _, m := range msgs {
		if f(m) {
			return true
		}
	}
	return false
}

// amLockedWriter writes to b under mu.
type amLockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (l *amLockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// amInstallWSClient returns e2e/ws with the graphql-ws client installed
// (npm ci, once), skipping the test when Node.js is not installed.
func amInstallWSClient(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH: the matrix's subscriptions run the graphql-ws client (Node.js 20)", tool)
		}
	}
	dir, err := filepath.Abs("ws")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "graphql-ws")); errors.Is(err, os.ErrNotExist) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	return dir
}
