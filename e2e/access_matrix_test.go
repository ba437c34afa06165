package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// The role × locality access matrix (ARCHITECTURE.md, "Security model"):
// every root query, mutation and subscription of the composed schema, the
// patient fields reached through Locality and Patient, and _entities on
// each service's federated endpoint, run under every role, in and out of
// the ICT clinician's reach, against one real seeded carecoord process.
//
// Columns (amColumns): the ICT clinician of Leek on Leek's data (in reach)
// and on Tamworth's (out of reach); the bed manager, the falls dispatcher
// and the admin, county-wide roles, on Tamworth's; and a request with no
// token. Each cell of the table says what must happen:
//
//	A  allowed: no FORBIDDEN or UNAUTHENTICATED; a query answers without
//	   errors with data (the target's records among it, where the row names
//	   them); a mutation may fail with a domain error (BAD_USER_INPUT,
//	   NOT_FOUND, CONFLICT): authorization passed.
//	F  FORBIDDEN: an error with extensions.code FORBIDDEN, and none of the
//	   target's records in the response.
//	H  hidden: no error other than NOT_FOUND, and none of the target's
//	   records: the field holds only what the viewer may see (the contract
//	   says so where it is the design, e.g. referral(id) is NOT_FOUND
//	   outside your localities, Patient's fields "hold only what you may
//	   see").
//	D  denied: F or H (the contract does not say which).
//	R  refused: an error, whatever its code (a replayed commandId may be a
//	   CONFLICT), and none of the target's records.
//	U  UNAUTHENTICATED.
//
// Whatever the cell, no response may hold an NHS number the viewer must
// never see (amWorld.census): the Leek clinician none of a patient whose
// records are all outside Leek, the bed manager none of a patient without a
// bed request or stay, the dispatcher none of a patient without a fall, the
// anonymous caller none at all. Mutations that are refused must write
// nothing: an admin read of the target (the row's probe) is the same before
// and after them.
//
// Besides the table: break-glass (runBreakGlass), the subscriptions over
// WebSocket with the graphql-ws client (runSubscriptions, e2e/ws/matrix.mjs)
// and a few rows asked over the WebSocket too; every root field of the
// schema, and every field of Patient and Locality, must have a row.
func TestAccessMatrix(t *testing.T) {
	started := time.Now()
	wsDir := amInstallWSClient(t)
	w := amStart(t)
	w.setUp(t)
	w.census(t)
	t.Logf("set up in %s", time.Since(started).Round(time.Millisecond))

	rows := amRows(w)
	entityRows := amEntityRows()
	subs := amSubscriptionRows()
	root := amRootFields(t, w)

	t.Run("every_root_field_has_a_row", func(t *testing.T) {
		covered := map[string]bool{}
		for _, r := range rows {
			covered[r.op] = true
		}
		for _, s := range subs {
			covered["Subscription."+s.field] = true
		}
		var missing []string
		for _, f := range root.all() {
			if !covered[f] {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			t.Errorf("root fields without a row in the access matrix (add one to amRows or amSubscriptionRows, with what each role may do): %v", missing)
		}
		for op := range covered {
			if op != "" && !root.has(op) && !strings.HasPrefix(op, "Subscription.") {
				t.Errorf("the matrix has a row for %s, which the schema no longer has", op)
			}
		}
	})
	t.Run("every_patient_and_locality_field_has_a_row", func(t *testing.T) {
		covered := map[string]bool{
			// Keys and the gateway's reference data (covered by Query.locality).
			"Patient.nhsNumber": true, "Locality.id": true, "Locality.name": true, "Locality.gpPractices": true,
		}
		for _, r := range rows {
			covered[r.name] = true
			for _, c := range r.covers {
				covered[c] = true
			}
		}
		for _, typ := range []string{"Patient", "Locality"} {
			for _, f := range amTypeFields(t, w, "/graphql", typ) {
				if !covered[typ+"."+f] {
					t.Errorf("%s.%s has no row in the access matrix", typ, f)
				}
			}
		}
	})

	for _, r := range rows {
		if r.mutation {
			continue
		}
		w.runRow(t, r, "")
		if r.svc != "" {
			w.runRow(t, r, r.svc)
		}
	}
	for _, r := range entityRows {
		w.runRow(t, r, "")
	}
	w.runBreakGlass(t)
	// Subscriptions before the mutations, while the fixtures' records are
	// as set up (a reserved bed to admit).
	w.runSubscriptions(t, wsDir, subs, root)
	for _, r := range rows {
		if !r.mutation {
			continue
		}
		w.runRow(t, r, "")
		if r.svc != "" {
			w.runRow(t, r, r.svc)
		}
	}
	if testing.Verbose() {
		t.Logf("the matrix (A allowed, F FORBIDDEN, H hidden, D F or H, R refused, U UNAUTHENTICATED):\n%s", amTable(rows, entityRows, subs))
	}
	t.Logf("access matrix ran in %s", time.Since(started).Round(time.Millisecond))
}

// amColumn is one viewer and the locality whose data it acts on.
type amColumn struct {
	name   string // the subtest name
	key    string // amWorld.tokens and .protected key
	target string // the fixture locality
}

var amColumns = []amColumn{
	{"ict_clinician(leek)_on_leek", "ict", amLocalityA},
	{"ict_clinician(leek)_on_tamworth", "ict", amLocalityB},
	{"bed_manager_on_tamworth", "bed_manager", amLocalityB},
	{"falls_dispatcher_on_tamworth", "falls_dispatcher", amLocalityB},
	{"admin_on_tamworth", "admin", amLocalityB},
	{"no_token_on_tamworth", "anon", amLocalityB},
}

// amReq is one request of a cell.
type amReq struct {
	path    string // default /graphql
	query   string
	vars    map[string]any
	markers []string // the target's records: present when allowed, absent when refused
}

// amProbe is an admin read of a mutation's target; pick reduces the
// response to what must not change when the mutation is refused (nil: the
// whole data).
type amProbe struct {
	query string
	vars  map[string]any
	pick  func(data json.RawMessage) string
}

// amRow is one line of the matrix.
type amRow struct {
	op       string   // the root field it covers ("Query.referral"); "" for a path through other fields
	name     string   // the subtest name
	covers   []string // entity fields it covers ("Patient.referrals")
	svc      string   // the service that owns it: run again on /subgraphs/<svc>/graphql ("" gateway only)
	expect   string   // one letter per amColumns entry
	mutation bool
	req      func(x *amFixture, cmd string) amReq
	// reqFor, when set, is req for a row whose request depends on the
	// viewer too.
	reqFor func(x *amFixture, cmd string, col amColumn) amReq
	probe  func(x *amFixture) amProbe
}

func (r amRow) want(i int) byte { return strings.ReplaceAll(r.expect, " ", "")[i] }

// runRow runs a row's cells: one subtest per column. A mutation's refused
// cells run first, between two probes; then its allowed ones.
func (w *amWorld) runRow(t *testing.T, r amRow, svc string) {
	name := r.name
	if svc != "" {
		name += "@/subgraphs/" + svc + "/graphql"
	}
	if len(strings.ReplaceAll(r.expect, " ", "")) != len(amColumns) {
		t.Fatalf("row %s: expect %q has not %d cells", r.name, r.expect, len(amColumns))
	}
	t.Run(name, func(t *testing.T) {
		order := []int{}
		for i := range amColumns {
			if !r.mutation || r.want(i) != 'A' {
				order = append(order, i)
			}
		}
		denied := len(order)
		if r.mutation {
			for i := range amColumns {
				if r.want(i) == 'A' {
					order = append(order, i)
				}
			}
		}
		before := map[string]string{}
		probe := func(target string) string {
			p := r.probe(w.fx[target])
			res := w.c.post("/graphql", w.tokens["admin"], "", p.query, p.vars)
			if len(res.Errors) > 0 {
				t.Fatalf("probe %s: %s", p.query, amRedact(res.body))
			}
			if p.pick != nil {
				return p.pick(res.Data)
			}
			return string(res.Data)
		}
		for n, i := range order {
			col := amColumns[i]
			if r.mutation && n == 0 && r.probe != nil {
				for _, loc := range []string{amLocalityA, amLocalityB} {
					before[loc] = probe(loc)
				}
			}
			if r.mutation && n == denied && r.probe != nil {
				for _, loc := range []string{amLocalityA, amLocalityB} {
					if after := probe(loc); after != before[loc] {
						t.Errorf("refused %s cells changed %s's record:\nbefore %s\nafter  %s", r.name, loc, amRedact([]byte(before[loc])), amRedact([]byte(after)))
					}
				}
			}
			t.Run(col.name, func(t *testing.T) {
				cmd := fmt.Sprintf("am-%s-%s-%d", strings.NewReplacer("@", "-", "/", "-", ".", "-").Replace(name), col.key, i)
				var req amReq
				if r.reqFor != nil {
					req = r.reqFor(w.fx[col.target], cmd, col)
				} else {
					req = r.req(w.fx[col.target], cmd)
				}
				path := req.path
				if path == "" {
					path = "/graphql"
				}
				if svc != "" {
					path = "/subgraphs/" + svc + "/graphql"
				}
				res := w.c.post(path, w.tokens[col.key], "", req.query, req.vars)
				for _, p := range w.check(col.key, r.want(i), r.mutation, req, res) {
					t.Errorf("%s as %s: %s\nquery: %s\nHTTP %d: %s", r.name, col.name, p, amOneLine(req.query), res.status, amRedact(res.body))
				}
			})
		}
		if r.mutation && denied == len(order) && r.probe != nil {
			for _, loc := range []string{amLocalityA, amLocalityB} {
				if after := probe(loc); after != before[loc] {
					t.Errorf("refused %s cells changed %s's record:\nbefore %s\nafter  %s", r.name, loc, amRedact([]byte(before[loc])), amRedact([]byte(after)))
				}
			}
		}
	})
}

func amOneLine(q string) string { return strings.Join(strings.Fields(q), " ") }

// check compares a response with a cell's expectation and returns what is
// wrong with it.
func (w *amWorld) check(key string, want byte, mutation bool, req amReq, res amResp) []string {
	var problems []string
	if leaks := w.leaks(key, res.body); len(leaks) > 0 {
		problems = append(problems, fmt.Sprintf("LEAK: %d NHS number(s) this viewer must never see", len(leaks)))
	}
	present := []string{}
	for _, m := range req.markers {
		if m != "" && bytes.Contains(res.body, []byte(m)) {
			present = append(present, m)
		}
	}
	forbidden, unauth := res.hasCode("FORBIDDEN"), res.hasCode("UNAUTHENTICATED")
	onlyCodes := func(ok ...string) bool {
		for _, c := range res.codes() {
			if !slices.Contains(ok, c) {
				return false
			}
		}
		return true
	}
	refused := func() {
		if len(present) > 0 {
			problems = append(problems, fmt.Sprintf("the target's records are in the response (%d of its identifiers)", len(present)))
		}
	}
	isForbidden := func() bool { return forbidden && !unauth }
	isHidden := func() bool { return !forbidden && !unauth && onlyCodes("NOT_FOUND") }
	switch want {
	case 'A':
		switch {
		case !mutation && res.status != http.StatusOK:
			problems = append(problems, fmt.Sprintf("want allowed, got HTTP %d", res.status))
		case forbidden || unauth:
			problems = append(problems, fmt.Sprintf("want allowed, got %v", res.codes()))
		case mutation && !onlyCodes("BAD_USER_INPUT", "NOT_FOUND", "CONFLICT"):
			problems = append(problems, fmt.Sprintf("want allowed (a domain error at most), got %v", res.codes()))
		case !mutation && len(res.Errors) > 0:
			problems = append(problems, fmt.Sprintf("want allowed with data, got errors %v", res.codes()))
		case !mutation && amNullish(res.Data):
			problems = append(problems, "want allowed with data, got no data")
		case !mutation && len(req.markers) > 0 && len(present) == 0:
			problems = append(problems, "want allowed with the target's records, got none of them")
		}
	case 'F':
		if !isForbidden() {
			problems = append(problems, fmt.Sprintf("want FORBIDDEN, got codes %v", res.codes()))
		}
		refused()
	case 'H':
		if !isHidden() {
			problems = append(problems, fmt.Sprintf("want hidden (no error but NOT_FOUND, nothing of the target), got HTTP %d codes %v", res.status, res.codes()))
		}
		refused()
	case 'D':
		if !isForbidden() && !isHidden() {
			problems = append(problems, fmt.Sprintf("want FORBIDDEN or hidden, got HTTP %d codes %v", res.status, res.codes()))
		}
		refused()
	case 'R':
		if len(res.Errors) == 0 || unauth {
			problems = append(problems, fmt.Sprintf("want refused with an error, got HTTP %d codes %v", res.status, res.codes()))
		}
		refused()
	case 'U':
		if !unauth {
			problems = append(problems, fmt.Sprintf("want UNAUTHENTICATED, got HTTP %d codes %v", res.status, res.codes()))
		}
		refused()
	default:
		problems = append(problems, fmt.Sprintf("unknown expectation %q", want))
	}
	return problems
}

// amNullish reports whether data holds nothing: null, or an object whose
// values are all null.
func amNullish(data json.RawMessage) bool {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return true
	}
	for _, v := range m {
		if string(v) != "null" {
			return false
		}
	}
	return true
}

// amRootSet is the root fields of the composed schema, as the running
// process introspects them and as the printed schema lists them.
type amRootSet struct {
	live, printed map[string]bool
}

func (s amRootSet) has(f string) bool { return s.live[f] || s.printed[f] }

func (s amRootSet) all() []string {
	var out []string
	for f := range s.live {
		out = append(out, f)
	}
	for f := range s.printed {
		if !s.live[f] {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// amRootFields introspects the server and parses
// schemas/graphql/carecoord.graphql.
func amRootFields(t *testing.T, w *amWorld) amRootSet {
	t.Helper()
	s := amRootSet{live: map[string]bool{}, printed: map[string]bool{}}
	var schema struct {
		Schema struct {
			QueryType, MutationType, SubscriptionType *struct {
				Fields []struct{ Name string }
			}
		} `json:"__schema"`
	}
	w.c.must(w.tokens["admin"], `{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }`, nil, &schema)
	for typ, ft := range map[string]*struct{ Fields []struct{ Name string } }{
		"Query": schema.Schema.QueryType, "Mutation": schema.Schema.MutationType, "Subscription": schema.Schema.SubscriptionType,
	} {
		if ft == nil {
			continue
		}
		for _, f := range ft.Fields {
			s.live[typ+"."+f.Name] = true
		}
	}
	printed, err := os.ReadFile("../schemas/graphql/carecoord.graphql")
	if err != nil {
		t.Fatalf("the printed schema: %v", err)
	}
	for _, typ := range []string{"Query", "Mutation", "Subscription"} {
		for _, f := range amSDLFields(string(printed), typ) {
			s.printed[typ+"."+f] = true
		}
	}
	if len(s.printed) == 0 || len(s.live) == 0 {
		t.Fatalf("no root fields found: live %d, printed %d", len(s.live), len(s.printed))
	}
	return s
}

// amSDLFields lists the fields of `type <name> { ... }` (and of any
// `extend type <name>`) in an SDL document: the names at the block's first
// level, descriptions and argument lists skipped.
func amSDLFields(sdl, name string) []string {
	var out []string
	head := regexp.MustCompile(`(?m)^(?:extend\s+)?type\s+` + name + `\b[^{]*\{`)
	field := regexp.MustCompile(`^\s*([_A-Za-z][_0-9A-Za-z]*)\s*[(:]`)
	for _, loc := range head.FindAllStringIndex(sdl, -1) {
		depthParen, inDesc := 0, false
		for _, line := range strings.Split(sdl[loc[1]:], "\n") {
			trim := strings.TrimSpace(line)
			if strings.Count(trim, `"""`)%2 == 1 {
				inDesc = !inDesc
				continue
			}
			if inDesc || strings.HasPrefix(trim, `"""`) || strings.HasPrefix(trim, "#") || strings.HasPrefix(trim, `"`) {
				continue
			}
			if depthParen == 0 && strings.HasPrefix(trim, "}") {
				break
			}
			if depthParen == 0 {
				if m := field.FindStringSubmatch(line); m != nil {
					out = append(out, m[1])
				}
			}
			depthParen += strings.Count(trim, "(") - strings.Count(trim, ")")
		}
	}
	return out
}

// amTypeFields introspects a type's field names on an endpoint.
func amTypeFields(t *testing.T, w *amWorld, path, typ string) []string {
	t.Helper()
	res := w.c.post(path, w.tokens["admin"], "", `query($n: String!) { __type(name: $n) { fields { name } } }`, map[string]any{"n": typ})
	var out struct {
		Type *struct{ Fields []struct{ Name string } } `json:"__type"`
	}
	if err := json.Unmarshal(res.Data, &out); err != nil || out.Type == nil {
		t.Fatalf("introspecting %s on %s: %s", typ, path, amRedact(res.body))
	}
	var names []string
	for _, f := range out.Type.Fields {
		names = append(names, f.Name)
	}
	return names
}

// amTable prints the matrix's expectations, one row a line.
func amTable(rows, entityRows []amRow, subs []amSubRow) string {
	var b strings.Builder
	// The columns of amColumns.
	fmt.Fprintf(&b, "%-58s %-6s %-6s %-6s %-6s %-6s %-6s\n", "operation", "ictIn", "ictOut", "bedMgr", "disp", "admin", "anon")
	line := func(name, expect, note string) {
		fmt.Fprintf(&b, "%-58s", name)
		for _, e := range strings.ReplaceAll(expect, " ", "") {
			fmt.Fprintf(&b, " %-6c", e)
		}
		b.WriteString(note + "\n")
	}
	for _, r := range append(append([]amRow(nil), rows...), entityRows...) {
		note := ""
		if r.svc != "" {
			note = " (+ /subgraphs/" + r.svc + "/graphql)"
		}
		line(r.name, r.expect, note)
	}
	for _, s := range subs {
		line("Subscription."+s.field, s.expect, " (WebSocket)")
	}
	return b.String()
}
