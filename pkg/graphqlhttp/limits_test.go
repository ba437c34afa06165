package graphqlhttp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/auth"
)

// limitSchema has lists with size arguments, self-nesting objects, a resolver
// that blocks until its context is done, a mutation and a subscription.
func limitSchema(t testing.TB) graphql.Schema {
	t.Helper()
	var item *graphql.Object
	item = graphql.NewObject(graphql.ObjectConfig{Name: "Item", Fields: graphql.FieldsThunk(func() graphql.Fields {
		return graphql.Fields{
			"id":    &graphql.Field{Type: graphql.NewNonNull(graphql.ID), Resolve: func(graphql.ResolveParams) (any, error) { return "i", nil }},
			"child": &graphql.Field{Type: item, Resolve: func(graphql.ResolveParams) (any, error) { return struct{}{}, nil }},
			"children": &graphql.Field{
				Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(item))),
				Args: graphql.FieldConfigArgument{"first": {Type: graphql.Int}},
				Resolve: func(graphql.ResolveParams) (any, error) {
					return make([]struct{}, 2), nil
				},
			},
		}
	})})
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
			"echo": &graphql.Field{
				Type: graphql.NewNonNull(graphql.String),
				Args: graphql.FieldConfigArgument{"text": {Type: graphql.NewNonNull(graphql.String)}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					return p.Args["text"], nil
				},
			},
			"item": &graphql.Field{Type: item, Resolve: func(graphql.ResolveParams) (any, error) { return struct{}{}, nil }},
			"items": &graphql.Field{
				Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(item))),
				Args: graphql.FieldConfigArgument{"first": {Type: graphql.Int}, "limit": {Type: graphql.Int}},
				Resolve: func(graphql.ResolveParams) (any, error) {
					return make([]struct{}, 3), nil
				},
			},
			"slow": &graphql.Field{Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
				<-p.Context.Done()
				return nil, p.Context.Err()
			}},
		}}),
		Mutation: graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: graphql.Fields{
			"bump": &graphql.Field{Type: graphql.Int, Resolve: func(graphql.ResolveParams) (any, error) { return 1, nil }},
		}}),
		Subscription: graphql.NewObject(graphql.ObjectConfig{Name: "Subscription", Fields: graphql.Fields{
			"ticks": &graphql.Field{Type: graphql.Int, Resolve: func(graphql.ResolveParams) (any, error) { return 1, nil }},
		}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return schema
}

// server serves a handler for opts over real HTTP. A request's X-Test-User
// header makes it that viewer's, as auth.Middleware would.
func server(t testing.TB, opts Options) (*httptest.Server, *handler) {
	t.Helper()
	h := Handler(limitSchema(t), opts).(*handler)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := r.Header.Get("X-Test-User"); u != "" {
			r = r.WithContext(auth.WithViewer(r.Context(), auth.Viewer{Subject: u}))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, h
}

type reply struct {
	status    int
	mediaType string
	header    http.Header
	hasData   bool
	Data      map[string]any `json:"data"`
	Errors    []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// code is the extensions.code of the first error.
func (r reply) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func (r reply) message() string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Message
}

type call struct {
	method string // default POST
	body   any    // POST: marshalled unless a string
	params url.Values
	accept string
	user   string
}

func (c call) do(t testing.TB, srv *httptest.Server) reply {
	t.Helper()
	var req *http.Request
	var err error
	if c.method == "" || c.method == http.MethodPost {
		body, ok := c.body.(string)
		if !ok {
			b, _ := json.Marshal(c.body)
			body = string(b)
		}
		req, err = http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	} else {
		req, err = http.NewRequest(c.method, srv.URL+"?"+c.params.Encode(), nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if c.accept != "" {
		req.Header.Set("Accept", c.accept)
	}
	if c.user != "" {
		req.Header.Set("X-Test-User", c.user)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var r reply
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("response is not JSON: %v: %q", err, raw)
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(raw, &keys)
	_, r.hasData = keys["data"]
	r.status = res.StatusCode
	r.mediaType, _, _ = mime.ParseMediaType(res.Header.Get("Content-Type"))
	r.header = res.Header
	return r
}

func q(query string) map[string]any { return map[string]any{"query": query} }

// refusedBoth checks that body is refused with code, no data, status 200 as
// application/json and modern as application/graphql-response+json.
func refusedBoth(t *testing.T, srv *httptest.Server, body any, modern int, code, message string) {
	t.Helper()
	for accept, status := range map[string]int{MediaTypeJSON: 200, MediaTypeGraphQLResponse: modern} {
		r := call{body: body, accept: accept}.do(t, srv)
		if r.status != status || r.hasData || r.code() != code || !strings.Contains(r.message(), message) {
			t.Errorf("Accept %s: got %d data=%v %q %+v, want %d, no data, %s %q", accept, r.status, r.hasData, r.code(), r.Errors, status, code, message)
		}
	}
}

func TestDepth_limit_counts_levels_through_fragments(t *testing.T) {
	srv, _ := server(t, Options{MaxDepth: 3})
	if r := (call{body: q(`{ item { child { id } } }`)}).do(t, srv); r.status != 200 || len(r.Errors) != 0 {
		t.Fatalf("depth 3: got %d %+v", r.status, r.Errors)
	}
	refusedBoth(t, srv, q(`query Deep { item { child { child { id } } } }`), 400, CodeQueryTooComplex, "operation Deep nests 4 levels deep, above the limit of 3")
	refusedBoth(t, srv, q(`{ ...F } fragment F on Query { item { ...G } } fragment G on Item { child { child { id } } }`),
		400, CodeQueryTooComplex, "nests 4 levels")
}

func TestDepth_default_is_12(t *testing.T) {
	srv, _ := server(t, Options{})
	nest := func(levels int) string {
		return "{ item " + strings.Repeat("{ child ", levels-2) + "{ id }" + strings.Repeat(" }", levels-2) + " }"
	}
	if r := (call{body: q(nest(12))}).do(t, srv); r.status != 200 || len(r.Errors) != 0 {
		t.Fatalf("depth 12: got %d %+v", r.status, r.Errors)
	}
	refusedBoth(t, srv, q(nest(13)), 400, CodeQueryTooComplex, "13 levels deep, above the limit of 12")
}

func TestCost_limit_multiplies_lists_by_their_size_argument(t *testing.T) {
	srv, _ := server(t, Options{MaxCost: 100, ListSize: 10})
	for _, tc := range []struct {
		query string
		vars  map[string]any
		cost  int // 0: within the limit
	}{
		{`{ items { id } }`, nil, 0},                                  // 1 + 10×1
		{`{ items { id children { id } } }`, nil, 121},                // 1 + 10×(1 + 1 + 10×1)
		{`{ items(first: 2) { children(first: 3) { id } } }`, nil, 0}, // 1 + 2×(1 + 3×1)
		{`{ items(limit: 50) { id child { id } } }`, nil, 151},        // 1 + 50×3
		{`query($n: Int) { items(first: $n) { children { id } } }`, map[string]any{"n": 5}, 0},
		{`query($n: Int) { items(first: $n) { children { id } } }`, map[string]any{"n": 20}, 221},
		{`query($n: Int = 30) { items(first: $n) { children { id } } }`, nil, 331},
		{`{ item { ...I } } fragment I on Item { children { children { id } } }`, nil, 112},
	} {
		body := map[string]any{"query": tc.query, "variables": tc.vars}
		if tc.cost == 0 {
			if r := (call{body: body}).do(t, srv); r.status != 200 || len(r.Errors) != 0 {
				t.Errorf("%s %v: got %d %+v, want it to run", tc.query, tc.vars, r.status, r.Errors)
			}
			continue
		}
		refusedBoth(t, srv, body, 400, CodeQueryTooComplex, fmt.Sprintf("could cost %d, above the limit of 100", tc.cost))
	}
}

func TestCost_limit_refuses_a_document_with_too_many_fields_before_validation(t *testing.T) {
	srv, h := server(t, Options{MaxCost: 100})
	var b strings.Builder
	b.WriteString("{")
	for i := range 101 {
		fmt.Fprintf(&b, " a%d: nope", i) // unknown fields: validation would fail
	}
	b.WriteString(" }")
	refusedBoth(t, srv, q(b.String()), 400, CodeQueryTooComplex, "101 fields, above the cost limit of 100")
	if n := h.parses.Load(); n != 1 {
		t.Errorf("parsed %d times, want 1 (the refusal is cached)", n)
	}
}

func TestDocuments_costly_to_validate_are_refused_before_validation(t *testing.T) {
	srv, _ := server(t, Options{})
	refusedBoth(t, srv, q("{"+strings.Repeat(` echo(text: "x")`, 51)+" }"), 400, CodeQueryTooComplex, `"echo" is selected 51 times`)
	srv, _ = server(t, Options{MaxCost: 10})
	// Ten fields as written, each fragment doubling what it spreads.
	doubling := `{ item { ...F1 } }
		fragment F1 on Item { a: child { ...F2 } b: child { ...F2 } }
		fragment F2 on Item { a: child { ...F3 } b: child { ...F3 } }
		fragment F3 on Item { a: child { ...F4 } b: child { ...F4 } }
		fragment F4 on Item { a: child { ...F5 } b: child { ...F5 } }
		fragment F5 on Item { id }`
	refusedBoth(t, srv, q(doubling), 400, CodeQueryTooComplex, "more than 40 fields with its fragments expanded")
}

// introspectionQuery is the query GraphiQL and codegen tools send.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}`

func TestIntrospection_passes_the_defaults_but_not_recursion(t *testing.T) {
	srv, _ := server(t, Options{})
	r := call{body: q(introspectionQuery), accept: MediaTypeGraphQLResponse}.do(t, srv)
	if r.status != 200 || len(r.Errors) != 0 || r.Data["__schema"] == nil {
		t.Fatalf("introspection: got %d %+v", r.status, r.Errors)
	}
	refusedBoth(t, srv, q(`{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`),
		400, CodeQueryTooComplex, "introspection lists")
}

func TestBody_too_large_is_413(t *testing.T) {
	srv, _ := server(t, Options{MaxBodyBytes: 100})
	for _, accept := range []string{MediaTypeJSON, MediaTypeGraphQLResponse} {
		r := call{body: q(`{ echo(text: "` + strings.Repeat("x", 200) + `") }`), accept: accept}.do(t, srv)
		if r.status != http.StatusRequestEntityTooLarge || r.code() != CodeRequestTooLarge || !strings.Contains(r.message(), "larger than 100 bytes") {
			t.Errorf("Accept %s: got %d %q %+v, want 413 %s", accept, r.status, r.code(), r.Errors, CodeRequestTooLarge)
		}
	}
}

// clock is a settable time for the rate limiter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestRate_limit_is_per_user_with_Retry_After(t *testing.T) {
	srv, h := server(t, Options{RatePerSecond: 0.5, RateBurst: 2})
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	h.now = clk.now
	ok := func(user, what string) {
		t.Helper()
		if r := (call{body: q(`{ echo(text: "x") }`), user: user}).do(t, srv); r.status != 200 || len(r.Errors) != 0 {
			t.Fatalf("%s: got %d %+v, want 200", what, r.status, r.Errors)
		}
	}
	limited := func(user, accept, retryAfter string) {
		t.Helper()
		r := call{body: q(`{ echo(text: "x") }`), user: user, accept: accept}.do(t, srv)
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != retryAfter || r.code() != CodeRateLimited || r.hasData {
			t.Fatalf("%s over the limit (Accept %s): got %d Retry-After %q %q %+v, want 429 Retry-After %s %s",
				user, accept, r.status, r.header.Get("Retry-After"), r.code(), r.Errors, retryAfter, CodeRateLimited)
		}
	}
	ok("alice", "alice 1")
	ok("alice", "alice 2 (burst)")
	limited("alice", MediaTypeJSON, "2")
	limited("alice", MediaTypeGraphQLResponse, "2") // a refusal takes no token
	ok("bob", "bob, another user")
	ok("", "anonymous, counted by address")
	clk.advance(time.Second)
	limited("alice", MediaTypeJSON, "1")
	clk.advance(time.Second)
	ok("alice", "alice after a token came back")
	limited("alice", MediaTypeJSON, "2")
}

func TestRate_limit_can_be_keyed_otherwise_or_off(t *testing.T) {
	srv, _ := server(t, Options{RatePerSecond: 0.001, RateBurst: 1, RateKey: func(r *http.Request) string { return r.Header.Get("X-Tenant") }})
	// No X-Tenant: exempt.
	for range 3 {
		if r := (call{body: q(`{ echo(text: "x") }`), user: "alice"}).do(t, srv); r.status != 200 {
			t.Fatalf("exempt request: got %d %+v", r.status, r.Errors)
		}
	}
	srv, _ = server(t, Options{RatePerSecond: -1})
	for range 150 {
		if r := (call{body: q(`{ echo(text: "x") }`)}).do(t, srv); r.status != 200 {
			t.Fatalf("rate limit off: got %d %+v", r.status, r.Errors)
		}
	}
}

func TestTimeout_stops_execution_with_TIMEOUT(t *testing.T) {
	srv, _ := server(t, Options{Timeout: 50 * time.Millisecond})
	for _, query := range []string{`{ slow }`, `{ echo(text: "partial") slow }`} {
		for accept, status := range map[string]int{MediaTypeJSON: 200, MediaTypeGraphQLResponse: http.StatusGatewayTimeout} {
			start := time.Now()
			r := call{body: q(query), accept: accept}.do(t, srv)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("%s: took %s", query, took)
			}
			if r.status != status || r.hasData || r.code() != CodeTimeout || !strings.Contains(r.message(), "within 50ms") {
				t.Errorf("%s, Accept %s: got %d data=%v %q %+v, want %d %s", query, accept, r.status, r.hasData, r.code(), r.Errors, status, CodeTimeout)
			}
		}
	}
	// Fast requests are untouched.
	if r := (call{body: q(`{ echo(text: "x") }`)}).do(t, srv); r.status != 200 || r.Data["echo"] != "x" {
		t.Fatalf("fast request: got %d %+v", r.status, r.Errors)
	}
}

func TestDocument_cache_parses_a_query_once(t *testing.T) {
	srv, h := server(t, Options{})
	query := `query A($t: String!) { echo(text: $t) } query B { item { id } }`
	for i := range 3 {
		r := call{body: map[string]any{"query": query, "operationName": "A", "variables": map[string]any{"t": fmt.Sprint(i)}}}.do(t, srv)
		if r.status != 200 || r.Data["echo"] != fmt.Sprint(i) {
			t.Fatalf("run %d: got %d %+v %+v", i, r.status, r.Data, r.Errors)
		}
	}
	if r := (call{method: http.MethodGet, params: url.Values{"query": {query}, "operationName": {"B"}}}).do(t, srv); r.status != 200 || r.Data["item"] == nil {
		t.Fatalf("GET B: got %d %+v", r.status, r.Errors)
	}
	if n := h.parses.Load(); n != 1 {
		t.Errorf("parsed %d times, want 1", n)
	}
	// Validation errors are cached too.
	for range 2 {
		r := call{body: q(`{ nope }`), accept: MediaTypeGraphQLResponse}.do(t, srv)
		if r.status != 400 || !strings.Contains(r.message(), "nope") {
			t.Fatalf("invalid query: got %d %+v", r.status, r.Errors)
		}
	}
	if n := h.parses.Load(); n != 2 {
		t.Errorf("parsed %d times, want 2", n)
	}
}

func TestDocument_cache_is_bounded(t *testing.T) {
	srv, h := server(t, Options{DocumentCacheSize: 2})
	for _, text := range []string{"a", "b", "c", "a"} {
		if r := (call{body: q(`{ echo(text: "` + text + `") }`)}).do(t, srv); r.status != 200 {
			t.Fatalf("got %d %+v", r.status, r.Errors)
		}
	}
	if n := h.parses.Load(); n != 4 {
		t.Errorf("parsed %d times, want 4 (a was dropped for c)", n)
	}
}

func TestCached_documents_run_concurrently(t *testing.T) {
	srv, _ := server(t, Options{})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			r := call{body: map[string]any{"query": `query($t: String!) { echo(text: $t) items(first: 2) { id children { id } } }`,
				"variables": map[string]any{"t": fmt.Sprint(i)}}}.do(t, srv)
			if r.status != 200 || r.Data["echo"] != fmt.Sprint(i) {
				t.Errorf("request %d: got %d %+v", i, r.status, r.Errors)
			}
		})
	}
	wg.Wait()
}

func apq(hash string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestPersisted_queries_miss_register_hit(t *testing.T) {
	srv, h := server(t, Options{})
	query := `query($t: String!) { echo(text: $t) }`
	hash := sha(query)
	vars := map[string]any{"t": "apq"}

	refusedBoth(t, srv, map[string]any{"extensions": apq(hash), "variables": vars}, 400, CodePersistedQueryNotFound, "PersistedQueryNotFound")

	r := call{body: map[string]any{"query": query, "extensions": apq(hash), "variables": vars}}.do(t, srv)
	if r.status != 200 || r.Data["echo"] != "apq" {
		t.Fatalf("register: got %d %+v", r.status, r.Errors)
	}
	r = call{body: map[string]any{"extensions": apq(hash), "variables": vars}, accept: MediaTypeGraphQLResponse}.do(t, srv)
	if r.status != 200 || r.Data["echo"] != "apq" {
		t.Fatalf("hash only over POST: got %d %+v", r.status, r.Errors)
	}
	ext, _ := json.Marshal(apq(hash))
	r = call{method: http.MethodGet, params: url.Values{"extensions": {string(ext)}, "variables": {`{"t":"get"}`}}}.do(t, srv)
	if r.status != 200 || r.Data["echo"] != "get" {
		t.Fatalf("hash only over GET: got %d %+v", r.status, r.Errors)
	}
	if n := h.parses.Load(); n != 1 {
		t.Errorf("parsed %d times, want 1", n)
	}
}

func TestPersisted_queries_refuse_a_wrong_hash(t *testing.T) {
	srv, _ := server(t, Options{})
	refusedBoth(t, srv, map[string]any{"query": `{ echo(text: "a") }`, "extensions": apq(sha(`{ echo(text: "b") }`))},
		400, CodeBadUserInput, "provided sha does not match query")
	refusedBoth(t, srv, map[string]any{"extensions": apq("abc")}, 400, CodeBadUserInput, "64 hexadecimal digits")
	refusedBoth(t, srv, map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 2, "sha256Hash": sha("{ item { id } }")}}},
		400, CodeBadUserInput, "version must be 1")
}

func TestPersisted_mutation_is_refused_over_GET(t *testing.T) {
	srv, _ := server(t, Options{})
	mutation := `mutation { bump }`
	if r := (call{body: map[string]any{"query": mutation, "extensions": apq(sha(mutation))}}).do(t, srv); r.status != 200 {
		t.Fatalf("register: got %d %+v", r.status, r.Errors)
	}
	ext, _ := json.Marshal(apq(sha(mutation)))
	r := call{method: http.MethodGet, params: url.Values{"extensions": {string(ext)}}}.do(t, srv)
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "POST" {
		t.Fatalf("got %d %+v, want 405", r.status, r.Errors)
	}
}

func TestPersisted_queries_off_with_the_cache(t *testing.T) {
	srv, h := server(t, Options{DocumentCacheSize: -1})
	query := `{ echo(text: "x") }`
	for range 2 {
		if r := (call{body: map[string]any{"query": query, "extensions": apq(sha(query))}}).do(t, srv); r.status != 200 {
			t.Fatalf("got %d %+v", r.status, r.Errors)
		}
	}
	refusedBoth(t, srv, map[string]any{"extensions": apq(sha(query))}, 400, CodePersistedQueryNotFound, "PersistedQueryNotFound")
	if n := h.parses.Load(); n != 2 {
		t.Errorf("parsed %d times, want 2 (no cache)", n)
	}
}

func TestRequest_errors_from_execution_have_no_data(t *testing.T) {
	srv, _ := server(t, Options{})
	for name, body := range map[string]any{
		"variable of the wrong type": map[string]any{"query": `query($n: Int!) { items(first: $n) { id } }`, "variables": map[string]any{"n": "many"}},
		"missing variable":           q(`query($t: String!) { echo(text: $t) }`),
		"unknown operation":          map[string]any{"query": `query A { item { id } }`, "operationName": "B"},
		"operation not named":        q(`query A { item { id } } query B { item { id } }`),
		"subscription":               q(`subscription { ticks }`),
	} {
		for accept, status := range map[string]int{MediaTypeJSON: 200, MediaTypeGraphQLResponse: 400} {
			r := call{body: body, accept: accept}.do(t, srv)
			if r.status != status || r.hasData || len(r.Errors) == 0 {
				t.Errorf("%s, Accept %s: got %d data=%v %+v, want %d, errors and no data", name, accept, r.status, r.hasData, r.Errors, status)
			}
		}
	}
}

func TestPOST_refuses_a_charset_other_than_UTF_8(t *testing.T) {
	srv, _ := server(t, Options{})
	req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader([]byte(`{"query":"{ item { id } }"}`)))
	req.Header.Set("Content-Type", "application/json; charset=latin1")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("got %d, want 415", res.StatusCode)
	}
}

// BenchmarkHandler_cached_vs_uncached measures what the document cache saves
// on a typical query: parsing and validating it.
func BenchmarkHandler_cached_vs_uncached(b *testing.B) {
	query := `query Q($t: String!) { echo(text: $t) items(first: 5) { id child { id } children(first: 3) { id child { id } } } }`
	body, _ := json.Marshal(map[string]any{"query": query, "operationName": "Q", "variables": map[string]any{"t": "x"}})
	for _, bc := range []struct {
		name string
		size int
	}{{"cached", 0}, {"uncached", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			h := Handler(limitSchema(b), Options{DocumentCacheSize: bc.size, RatePerSecond: -1})
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// gate is an Options.Execute that holds each operation until released and
// records how many ran at once.
type gate struct {
	mu      sync.Mutex
	running int
	max     int
	entered chan struct{}
	release chan struct{}
}

func newGate() *gate {
	return &gate{entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (g *gate) execute(p graphql.ExecuteParams) *graphql.Result {
	g.mu.Lock()
	g.running++
	g.max = max(g.max, g.running)
	g.mu.Unlock()
	g.entered <- struct{}{}
	<-g.release
	g.mu.Lock()
	g.running--
	g.mu.Unlock()
	return graphql.Execute(p)
}

func (g *gate) waitEntered(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		select {
		case <-g.entered:
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d of %d operations started", i, n)
		}
	}
}

func TestQueries_beyond_the_limit_wait_their_turn(t *testing.T) {
	g := newGate()
	srv, _ := server(t, Options{MaxConcurrentQueries: 2, Execute: g.execute, RatePerSecond: -1})
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			r := call{body: q(fmt.Sprintf(`{ echo(text: "%d") }`, i))}.do(t, srv)
			if r.status != 200 || r.Data["echo"] != fmt.Sprint(i) {
				t.Errorf("query %d: got %d %+v", i, r.status, r.Errors)
			}
		})
	}
	g.waitEntered(t, 2)
	select {
	case <-g.entered:
		t.Fatal("a third query started while two held their turn")
	case <-time.After(100 * time.Millisecond):
	}
	close(g.release) // the rest run, two at a time
	g.waitEntered(t, 4)
	wg.Wait()
	if g.max != 2 {
		t.Fatalf("%d queries ran at once, want at most 2", g.max)
	}
}

func TestQueries_waiting_longer_than_the_timeout_are_UNAVAILABLE_and_mutations_do_not_wait(t *testing.T) {
	g := newGate()
	srv, _ := server(t, Options{MaxConcurrentQueries: 1, Execute: g.execute, Timeout: 100 * time.Millisecond, RatePerSecond: -1})
	held := make(chan reply, 1)
	go func() { held <- (call{body: q(`{ echo(text: "first") }`)}).do(t, srv) }()
	g.waitEntered(t, 1)

	r := call{body: q(`{ echo(text: "second") }`), accept: MediaTypeGraphQLResponse}.do(t, srv)
	if r.status != http.StatusServiceUnavailable || r.code() != CodeUnavailable || r.hasData {
		t.Fatalf("second query: got %d %q %+v, want 503 %s", r.status, r.code(), r.Errors, CodeUnavailable)
	}

	// A mutation is not held back by the query in progress.
	done := make(chan reply, 1)
	go func() { done <- (call{body: q(`mutation { bump }`)}).do(t, srv) }()
	g.waitEntered(t, 1)
	close(g.release)
	if r := <-done; r.status != 200 {
		t.Fatalf("mutation: got %d %+v", r.status, r.Errors)
	}
	<-held
}
