package supergraph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"

	"carecoord/pkg/errs"
	"carecoord/pkg/federation"
	"carecoord/pkg/gql"
	"carecoord/pkg/supergraph"
)

// Two toy subgraphs sharing Patient (key nhsNumber): "people" owns
// Patient.name and Query.patients; "visits" adds Patient.visits and owns
// Visit and Query.visit.

type person struct {
	NHSNumber string `json:"nhsNumber"`
	Name      string `json:"name"`
}

func nhs(i int) string { return fmt.Sprintf("94347%05d", i) }

func peopleSchema(t *testing.T) graphql.Schema {
	t.Helper()
	people := map[string]*person{}
	var list []*person
	for i := range 50 {
		p := &person{NHSNumber: nhs(i), Name: fmt.Sprintf("Patient %d", i)}
		people[p.NHSNumber] = p
		list = append(list, p)
	}
	forbidden := &person{NHSNumber: "0000000000", Name: "Hidden"}
	people[forbidden.NHSNumber] = forbidden
	patient := federation.NewEntity(federation.EntityConfig{
		Object: graphql.ObjectConfig{Name: "Patient", Fields: graphql.Fields{
			"nhsNumber": {Type: graphql.NewNonNull(graphql.String)},
			"name":      {Type: graphql.String},
			"internalNote": {Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) {
				return "secret", nil
			}},
		}},
		Key: "nhsNumber",
		Resolve: func(_ context.Context, rep map[string]any) (any, error) {
			if p := people[rep["nhsNumber"].(string)]; p != nil {
				return p, nil
			}
			return nil, nil
		},
	})
	s, err := federation.Subgraph(federation.Config{
		Query: graphql.Fields{
			"patients": {
				Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(patient.Object()))),
				Args: graphql.FieldConfigArgument{"first": {Type: graphql.Int}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					if n, ok := p.Args["first"].(int); ok && n < len(list) {
						return list[:n], nil
					}
					return list, nil
				},
			},
			"patient": {
				Type: patient.Object(),
				Args: graphql.FieldConfigArgument{"nhsNumber": {Type: graphql.NewNonNull(graphql.String)}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					if pp := people[p.Args["nhsNumber"].(string)]; pp != nil {
						return pp, nil
					}
					return nil, gql.Error(errs.NotFound("no such patient", "patient-not-found"))
				},
			},
		},
		Entities:   []*federation.Entity{patient},
		Directives: map[string][]string{"Patient.internalNote": {"@inaccessible"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func visitsSchema(t *testing.T) graphql.Schema {
	t.Helper()
	var patient *federation.Entity
	visit := graphql.NewObject(graphql.ObjectConfig{Name: "Visit", Fields: graphql.FieldsThunk(func() graphql.Fields {
		return graphql.Fields{
			"id": {Type: graphql.NewNonNull(graphql.ID)},
			"at": {Type: graphql.NewNonNull(graphql.String)},
			"note": {Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) {
				return nil, gql.Error(errs.Forbidden("notes are for clinicians", "note-forbidden"))
			}},
			"patient": {Type: graphql.NewNonNull(patient.Object()), Resolve: func(p graphql.ResolveParams) (any, error) {
				return map[string]any{"nhsNumber": p.Source.(map[string]any)["for"]}, nil
			}},
		}
	})})
	visitsOf := func(n string, limit int) []map[string]any {
		var out []map[string]any
		for i := range min(limit, 2) {
			out = append(out, map[string]any{"id": fmt.Sprintf("%s-%d", n, i), "at": fmt.Sprintf("2026-11-2%dT10:00:00Z", i), "for": n})
		}
		return out
	}
	patient = federation.NewEntity(federation.EntityConfig{
		Object: graphql.ObjectConfig{Name: "Patient", Fields: graphql.Fields{
			"nhsNumber": {Type: graphql.NewNonNull(graphql.String)},
			"visits": {
				Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(visit))),
				Args: graphql.FieldConfigArgument{"limit": {Type: graphql.Int, DefaultValue: 10}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					n := p.Source.(map[string]any)["nhsNumber"].(string)
					if n == "0000000000" {
						return nil, gql.Error(errs.Forbidden("you may not see this patient's visits", "visits-forbidden"))
					}
					return visitsOf(n, p.Args["limit"].(int)), nil
				},
			},
		}},
		Key: "nhsNumber",
		Resolve: func(_ context.Context, rep map[string]any) (any, error) {
			return map[string]any{"nhsNumber": rep["nhsNumber"]}, nil
		},
	})
	s, err := federation.Subgraph(federation.Config{
		Query: graphql.Fields{"visit": {
			Type: visit,
			Args: graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.ID)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				id := p.Args["id"].(string)
				n, _, _ := strings.Cut(id, "-")
				for _, v := range visitsOf(n, 10) {
					if v["id"] == id {
						return v, nil
					}
				}
				return nil, gql.Error(errs.NotFound("no such visit", "visit-not-found"))
			},
		}},
		Mutation: graphql.Fields{"recordVisit": {
			Type: graphql.NewNonNull(visit),
			Args: graphql.FieldConfigArgument{"nhsNumber": {Type: graphql.NewNonNull(graphql.String)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				n := p.Args["nhsNumber"].(string)
				return map[string]any{"id": n + "-9", "at": "2026-11-23T09:00:00Z", "for": n}, nil
			},
		}},
		Entities: []*federation.Entity{patient},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// counting counts the documents sent to a subgraph.
type counting struct {
	supergraph.Subgraph
	mu   sync.Mutex
	docs []string
}

func (c *counting) Do(ctx context.Context, q string, v map[string]any) (map[string]any, []supergraph.GraphQLError, error) {
	c.mu.Lock()
	c.docs = append(c.docs, q)
	c.mu.Unlock()
	return c.Subgraph.Do(ctx, q, v)
}

func (c *counting) reset() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.docs
	c.docs = nil
	return d
}

type authKey struct{}

func serve(t *testing.T, s graphql.Schema, seen *sync.Map) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if seen != nil {
			seen.Store(r.Header.Get("Authorization"), true)
		}
		res := graphql.Do(graphql.Params{Schema: s, RequestString: req.Query, VariableValues: req.Variables, Context: r.Context()})
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(res)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type fixture struct {
	sg             *supergraph.Supergraph
	people, visits *counting
	auth           *sync.Map
	// direct: the in-process subgraphs' resolvers are called directly, so
	// no documents are sent (and none counted).
	direct bool
}

// inProcess composes the toy subgraphs in process, sending them documents
// as remote ones are sent (counted).
func inProcess(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		people: &counting{Subgraph: supergraph.InProcess("people", peopleSchema(t))},
		visits: &counting{Subgraph: supergraph.InProcess("visits", visitsSchema(t))},
	}
	f.compose(t)
	return f
}

// direct composes them in process with their resolvers called directly.
func direct(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{direct: true, people: &counting{}, visits: &counting{}}
	f.composeWith(t, supergraph.InProcess("people", peopleSchema(t)), supergraph.InProcess("visits", visitsSchema(t)))
	return f
}

func overHTTP(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{auth: &sync.Map{}}
	headers := func(ctx context.Context) http.Header {
		h := http.Header{}
		if a, ok := ctx.Value(authKey{}).(string); ok {
			h.Set("Authorization", a)
		}
		return h
	}
	f.people = &counting{Subgraph: supergraph.Remote("people", serve(t, peopleSchema(t), f.auth).URL, nil, headers)}
	f.visits = &counting{Subgraph: supergraph.Remote("visits", serve(t, visitsSchema(t), f.auth).URL, nil, headers)}
	f.compose(t)
	return f
}

func (f *fixture) compose(t *testing.T) {
	t.Helper()
	f.composeWith(t, f.people, f.visits)
}

func (f *fixture) composeWith(t *testing.T, subs ...supergraph.Subgraph) {
	t.Helper()
	sg, err := supergraph.Compose(context.Background(), subs, supergraph.Options{
		Extra: `
type Locality { id: ID! name: String! }
extend type Query { localities: [Locality!]! }
extend type Patient { greeting: String! }`,
		Resolvers: map[string]graphql.FieldResolveFn{
			"Query.localities": func(graphql.ResolveParams) (any, error) {
				return []map[string]any{{"id": "leek", "name": "Leek"}}, nil
			},
			"Patient.greeting": func(p graphql.ResolveParams) (any, error) {
				return "Hello " + supergraph.Key(p.Source, "nhsNumber").(string), nil
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.sg = sg
	f.people.reset()
	f.visits.reset()
}

func (f *fixture) do(t *testing.T, query string, vars map[string]any) *graphql.Result {
	t.Helper()
	ctx := context.WithValue(context.Background(), authKey{}, "Bearer token-1")
	return f.sg.Do(graphql.Params{Context: ctx, RequestString: query, VariableValues: vars})
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// both runs a test on every path: resolvers called directly, documents
// in process, documents over HTTP.
func both(t *testing.T, run func(t *testing.T, f *fixture)) {
	t.Run("direct", func(t *testing.T) { run(t, direct(t)) })
	t.Run("in-process", func(t *testing.T) { run(t, inProcess(t)) })
	t.Run("http", func(t *testing.T) { run(t, overHTTP(t)) })
}

func TestCrossSubgraphListIsOneEntitiesRequest(t *testing.T) {
	both(t, func(t *testing.T, f *fixture) {
		res := f.do(t, `{ patients { name visits { at } } }`, nil)
		if len(res.Errors) > 0 {
			t.Fatal(res.Errors)
		}
		ps := res.Data.(map[string]any)["patients"].([]any)
		if len(ps) != 50 {
			t.Fatalf("%d patients", len(ps))
		}
		got := asJSON(t, ps[3])
		want := `{"name":"Patient 3","visits":[{"at":"2026-11-20T10:00:00Z"},{"at":"2026-11-21T10:00:00Z"}]}`
		if got != want {
			t.Fatalf("patient 3: %s, want %s", got, want)
		}
		if f.direct {
			return // no requests: the resolvers are called directly
		}
		if d := f.people.reset(); len(d) != 1 {
			t.Fatalf("people got %d requests: %q", len(d), d)
		}
		d := f.visits.reset()
		if len(d) != 1 || !strings.Contains(d[0], "_entities") {
			t.Fatalf("visits got %d requests, want one _entities: %q", len(d), d)
		}
	})
}

func TestNestedHopBackAndMultipleLevels(t *testing.T) {
	both(t, func(t *testing.T, f *fixture) {
		res := f.do(t, `{ visit(id: "9434700007-1") { at patient { nhsNumber name } } }`, nil)
		if len(res.Errors) > 0 {
			t.Fatal(res.Errors)
		}
		want := `{"visit":{"at":"2026-11-21T10:00:00Z","patient":{"name":"Patient 7","nhsNumber":"9434700007"}}}`
		if got := asJSON(t, res.Data); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
		if n, m := len(f.visits.reset()), len(f.people.reset()); !f.direct && (n != 1 || m != 1) {
			t.Fatalf("visits %d, people %d requests; want 1 and 1", n, m)
		}

		// people -> visits -> people: one request per subgraph and level.
		res = f.do(t, `{ patients(first: 20) { name visits(limit: 1) { id patient { name greeting } } } }`, nil)
		if len(res.Errors) > 0 {
			t.Fatal(res.Errors)
		}
		p := res.Data.(map[string]any)["patients"].([]any)[5]
		want = `{"name":"Patient 5","visits":[{"id":"9434700005-0","patient":{"greeting":"Hello 9434700005","name":"Patient 5"}}]}`
		if got := asJSON(t, p); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
		if n, m := len(f.visits.reset()), len(f.people.reset()); !f.direct && (n != 1 || m != 2) {
			t.Fatalf("visits %d, people %d requests; want 1 and 2", n, m)
		}
	})
}

func TestSameAnswersInProcessAndOverHTTP(t *testing.T) {
	query := `query Q($n: String!, $limit: Int, $withVisits: Boolean!) {
		patient(nhsNumber: $n) { ...P  who: name }
		localities { id name }
	}
	fragment P on Patient { nhsNumber name greeting visits(limit: $limit) @include(if: $withVisits) { ... on Visit { id at } } }`
	vars := map[string]any{"n": nhs(9), "limit": 1, "withVisits": true}
	a := inProcess(t).do(t, query, vars)
	d := direct(t).do(t, query, vars)
	h := overHTTP(t)
	b := h.do(t, query, vars)
	if len(a.Errors) > 0 || len(b.Errors) > 0 || len(d.Errors) > 0 {
		t.Fatal(a.Errors, b.Errors, d.Errors)
	}
	want := `{"localities":[{"id":"leek","name":"Leek"}],"patient":{"greeting":"Hello 9434700009","name":"Patient 9","nhsNumber":"9434700009","visits":[{"at":"2026-11-20T10:00:00Z","id":"9434700009-0"}],"who":"Patient 9"}}`
	if got := asJSON(t, a.Data); got != want {
		t.Fatalf("in-process %s, want %s", got, want)
	}
	if got := asJSON(t, d.Data); got != want {
		t.Fatalf("direct %s, want %s", got, want)
	}
	if got := asJSON(t, b.Data); got != want {
		t.Fatalf("http %s, want %s", got, want)
	}
	if _, ok := h.auth.Load("Bearer token-1"); !ok {
		t.Fatal("the Authorization header did not reach the subgraphs")
	}
	// Only the variable the sub-document uses is sent to each subgraph.
	for _, d := range h.visits.reset() {
		if strings.Contains(d, "$n") {
			t.Fatalf("visits got the people variable: %s", d)
		}
	}
}

func TestSubgraphErrorsKeepTheirCode(t *testing.T) {
	both(t, func(t *testing.T, f *fixture) {
		res := f.do(t, `{ patient(nhsNumber: "0000000000") { name visits { at } } }`, nil)
		if len(res.Errors) != 1 {
			t.Fatalf("errors: %v", res.Errors)
		}
		e := res.Errors[0]
		if e.Extensions["code"] != "FORBIDDEN" || asJSON(t, e.Path) != `["patient","visits"]` {
			t.Fatalf("error %s %v %v", e.Message, e.Path, e.Extensions)
		}
		if got := asJSON(t, res.Data); got != `{"patient":null}` {
			t.Fatalf("data %s", got)
		}

		res = f.do(t, `{ visit(id: "nope") { at } }`, nil)
		if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "NOT_FOUND" || asJSON(t, res.Errors[0].Path) != `["visit"]` {
			t.Fatalf("errors: %+v", res.Errors)
		}
	})
}

func TestInaccessibleFieldsAreNotPublic(t *testing.T) {
	f := inProcess(t)
	schema := f.sg.Schema()
	patient := schema.Type("Patient").(*graphql.Object)
	var names []string
	for n := range patient.Fields() {
		names = append(names, n)
	}
	if _, ok := patient.Fields()["internalNote"]; ok {
		t.Fatal("internalNote is public")
	}
	for _, want := range []string{"nhsNumber", "name", "visits", "greeting"} {
		if _, ok := patient.Fields()[want]; !ok {
			t.Fatalf("Patient has no %s: %v", want, names)
		}
	}
	res := f.do(t, `{ patients { internalNote } }`, nil)
	if len(res.Errors) == 0 {
		t.Fatal("internalNote could be queried")
	}
	if !reflect.DeepEqual(f.people.reset(), []string(nil)) {
		t.Fatal("an invalid query reached a subgraph")
	}
}

// static is a subgraph that only answers _service with a fixed SDL.
type static struct{ name, sdl string }

func (s static) Name() string { return s.name }

func (s static) Do(_ context.Context, q string, _ map[string]any) (map[string]any, []supergraph.GraphQLError, error) {
	if strings.Contains(q, "_service") {
		return map[string]any{"_service": map[string]any{"sdl": s.sdl}}, nil, nil
	}
	return nil, []supergraph.GraphQLError{{Message: "static subgraph"}}, nil
}

func TestComposesTheServicesSubgraphs(t *testing.T) {
	var subs []supergraph.Subgraph
	for _, name := range []string{"referrals", "caseload", "beds", "falls"} {
		// The services' own checked-in federated SDL, so this test follows
		// their contracts as they change.
		b, err := os.ReadFile(filepath.Join("..", "..", "services", name, "graphql", "testdata", name+".federated.graphql"))
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, static{name, string(b)})
	}
	sg, err := supergraph.Compose(context.Background(), subs, supergraph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	schema := sg.Schema()
	patient, ok := schema.Type("Patient").(*graphql.Object)
	if !ok {
		t.Fatal("no Patient")
	}
	fields := patient.Fields()
	for _, want := range []string{"nhsNumber", "referrals", "caseloadEpisodes"} {
		if fields[want] == nil {
			t.Errorf("Patient has no %s", want)
		}
	}
	if fields["referralsTimeline"] != nil {
		t.Error("the @inaccessible Patient.referralsTimeline is public")
	}
	if schema.QueryType().Fields()["referral"] == nil || schema.MutationType().Fields()["receiveReferral"] == nil {
		t.Error("root fields are missing")
	}
}

func TestMutationIsDelegated(t *testing.T) {
	both(t, func(t *testing.T, f *fixture) {
		res := f.do(t, `mutation M($n: String!) { recordVisit(nhsNumber: $n) { id patient { name } } }`, map[string]any{"n": nhs(2)})
		if len(res.Errors) > 0 {
			t.Fatal(res.Errors)
		}
		want := `{"recordVisit":{"id":"9434700002-9","patient":{"name":"Patient 2"}}}`
		if got := asJSON(t, res.Data); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
		if d := f.visits.reset(); !f.direct && (len(d) != 1 || !strings.HasPrefix(d[0], "mutation")) {
			t.Fatalf("visits got %q", d)
		}
	})
}

func TestNestedSubgraphErrorsGetTheClientPath(t *testing.T) {
	both(t, func(t *testing.T, f *fixture) {
		res := f.do(t, `{ patients(first: 2) { name visits(limit: 1) { at note } } }`, nil)
		if len(res.Errors) != 2 {
			t.Fatalf("errors: %v", res.Errors)
		}
		paths := map[string]bool{}
		for _, e := range res.Errors {
			if e.Extensions["code"] != "FORBIDDEN" {
				t.Fatalf("error %s %v", e.Message, e.Extensions)
			}
			paths[asJSON(t, e.Path)] = true
		}
		if !paths[`["patients",0,"visits",0,"note"]`] || !paths[`["patients",1,"visits",0,"note"]`] {
			t.Fatalf("paths %v", paths)
		}
		want := `{"name":"Patient 1","visits":[{"at":"2026-11-20T10:00:00Z","note":null}]}`
		if got := asJSON(t, res.Data.(map[string]any)["patients"].([]any)[1]); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	})
}

func TestExecuteAnswersParsedDocumentsLikeDo(t *testing.T) {
	f := inProcess(t)
	for _, q := range []string{
		`{ patients(first: 3) { name visits { at } } }`,
		`query Q { patients(first: 2) { name visits(limit: 1) { at note } } }`,
	} {
		want := asJSON(t, f.do(t, q, nil))
		f.people.reset()
		f.visits.reset()
		doc, err := parser.Parse(parser.ParseParams{Source: &source.Source{Body: []byte(q)}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.WithValue(context.Background(), authKey{}, "Bearer token-1")
		got := asJSON(t, f.sg.Execute(graphql.ExecuteParams{Context: ctx, AST: doc}))
		if got != want {
			t.Errorf("%s:\nExecute %s\nDo      %s", q, got, want)
		}
		if d := f.visits.reset(); len(d) != 1 {
			t.Errorf("%s: visits got %d requests, want 1 (batched)", q, len(d))
		}
	}
}
