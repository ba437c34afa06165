package graphqlhttp

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"
)

// testSchema has a query with an argument, a failing field and a mutation.
func testSchema(t *testing.T) graphql.Schema {
	t.Helper()
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
			"echo": &graphql.Field{
				Type: graphql.NewNonNull(graphql.String),
				Args: graphql.FieldConfigArgument{"text": {Type: graphql.NewNonNull(graphql.String)}},
				Resolve: func(p graphql.ResolveParams) (any, error) {
					return p.Args["text"], nil
				},
			},
			"broken": &graphql.Field{
				Type:    graphql.String,
				Resolve: func(graphql.ResolveParams) (any, error) { return nil, errors.New("resolver failed") },
			},
		}}),
		Mutation: graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: graphql.Fields{
			"bump": &graphql.Field{Type: graphql.Int, Resolve: func(graphql.ResolveParams) (any, error) { return 1, nil }},
		}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return schema
}

type testResponse struct {
	status    int
	mediaType string
	allow     string
	Data      map[string]any `json:"data"`
	Errors    []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

func do(t *testing.T, h http.Handler, req *http.Request) testResponse {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var res testResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatalf("response is not JSON: %v: %q", err, rec.Body.String())
	}
	res.status = rec.Code
	res.mediaType, _, _ = mime.ParseMediaType(rec.Header().Get("Content-Type"))
	res.allow = rec.Header().Get("Allow")
	return res
}

func post(body, accept string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return req
}

func getReq(params url.Values, accept string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/graphql?"+params.Encode(), nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return req
}

func TestPOST_runs_the_query_with_variables(t *testing.T) {
	h := Handler(testSchema(t), Options{})
	res := do(t, h, post(`{"query":"query Q($t: String!) { echo(text: $t) }","variables":{"t":"hi"},"operationName":"Q"}`, ""))
	if res.status != 200 || res.mediaType != MediaTypeJSON || res.Data["echo"] != "hi" || len(res.Errors) != 0 {
		t.Fatalf("got %+v", res)
	}
}

func TestPOST_accepts_JSON_with_charset(t *testing.T) {
	req := post(`{"query":"{ echo(text: \"x\") }"}`, "")
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if res := do(t, Handler(testSchema(t), Options{}), req); res.status != 200 || res.Data["echo"] != "x" {
		t.Fatalf("got %+v", res)
	}
}

func TestGET_runs_queries(t *testing.T) {
	h := Handler(testSchema(t), Options{})
	res := do(t, h, getReq(url.Values{"query": {"query Q($t: String!) { echo(text: $t) }"}, "variables": {`{"t":"yo"}`}}, ""))
	if res.status != 200 || res.Data["echo"] != "yo" {
		t.Fatalf("got %+v", res)
	}
}

func TestGET_refuses_mutations(t *testing.T) {
	h := Handler(testSchema(t), Options{})
	res := do(t, h, getReq(url.Values{"query": {"mutation { bump }"}}, ""))
	if res.status != http.StatusMethodNotAllowed || res.allow != "POST" || len(res.Errors) != 1 {
		t.Fatalf("got %+v, want 405 Allow: POST", res)
	}
	// Picked by name from a document with both kinds.
	res = do(t, h, getReq(url.Values{"query": {"query A { echo(text: \"a\") } mutation B { bump }"}, "operationName": {"B"}}, ""))
	if res.status != http.StatusMethodNotAllowed {
		t.Fatalf("named mutation over GET: got %+v, want 405", res)
	}
	res = do(t, h, getReq(url.Values{"query": {"query A { echo(text: \"a\") } mutation B { bump }"}, "operationName": {"A"}}, ""))
	if res.status != 200 || res.Data["echo"] != "a" {
		t.Fatalf("named query over GET: got %+v", res)
	}
	// The same mutation is fine over POST.
	if res := do(t, h, post(`{"query":"mutation { bump }"}`, "")); res.status != 200 || res.Data["bump"] != float64(1) {
		t.Fatalf("mutation over POST: got %+v", res)
	}
}

func TestAccept_negotiation(t *testing.T) {
	h := Handler(testSchema(t), Options{})
	for accept, want := range map[string]string{
		"":                                  MediaTypeJSON,
		"*/*":                               MediaTypeJSON,
		"application/json":                  MediaTypeJSON,
		"text/html":                         MediaTypeJSON,
		"application/graphql-response+json": MediaTypeGraphQLResponse,
		"application/graphql-response+json, application/json;q=0.9": MediaTypeGraphQLResponse,
		"application/json, application/graphql-response+json":       MediaTypeGraphQLResponse,
		"application/json, application/graphql-response+json;q=0.5": MediaTypeJSON,
		"application/graphql-response+json;q=0, */*":                MediaTypeJSON,
		"*/*;q=0.1, application/graphql-response+json;q=0.2":        MediaTypeGraphQLResponse,
	} {
		if res := do(t, h, post(`{"query":"{ echo(text: \"x\") }"}`, accept)); res.mediaType != want || res.status != 200 {
			t.Errorf("Accept %q: got %s (%d), want %s", accept, res.mediaType, res.status, want)
		}
	}
}

func TestRequest_errors_status_depends_on_media_type(t *testing.T) {
	h := Handler(testSchema(t), Options{})
	for _, tc := range []struct {
		name, query string
	}{
		{"syntax error", `{ echo(text: `},
		{"unknown field", `{ nope }`},
		{"missing argument", `{ echo }`},
	} {
		body, _ := json.Marshal(map[string]string{"query": tc.query})
		legacy := do(t, h, post(string(body), "application/json"))
		if legacy.status != 200 || len(legacy.Errors) == 0 || legacy.Data != nil {
			t.Errorf("%s, application/json: got %+v, want 200 with errors and no data", tc.name, legacy)
		}
		modern := do(t, h, post(string(body), MediaTypeGraphQLResponse))
		if modern.status != 400 || len(modern.Errors) == 0 || modern.mediaType != MediaTypeGraphQLResponse {
			t.Errorf("%s, graphql-response+json: got %+v, want 400 with errors", tc.name, modern)
		}
	}
}

func TestField_errors_keep_status_200(t *testing.T) {
	h := Handler(testSchema(t), Options{})
	res := do(t, h, post(`{"query":"{ broken echo(text: \"ok\") }"}`, MediaTypeGraphQLResponse))
	if res.status != 200 || res.Data["echo"] != "ok" || len(res.Errors) != 1 || res.Errors[0].Message != "resolver failed" {
		t.Fatalf("got %+v", res)
	}
}

func TestBad_requests(t *testing.T) {
	h := Handler(testSchema(t), Options{MaxBodyBytes: 64})
	for _, tc := range []struct {
		name    string
		req     *http.Request
		status  int
		message string
	}{
		{"body too large", post(`{"query":"{ echo(text: \"`+strings.Repeat("x", 100)+`\") }"}`, ""), 413, "larger than 64 bytes"},
		{"not JSON", post(`query { echo }`, ""), 400, "must be one JSON object"},
		{"trailing data", post(`{"query":"{ broken }"} {}`, ""), 400, "must be one JSON object"},
		{"variables not an object", post(`{"query":"{ broken }","variables":[1]}`, ""), 400, "must be one JSON object"},
		{"no query", post(`{"variables":{}}`, ""), 400, "query is required"},
		{"GET without query", getReq(nil, ""), 400, "query is required"},
		{"GET with bad variables", getReq(url.Values{"query": {"{ broken }"}, "variables": {"{"}}, ""), 400, "variables"},
		{"wrong content type", func() *http.Request {
			r := post(`{"query":"{ broken }"}`, "")
			r.Header.Set("Content-Type", "text/plain")
			return r
		}(), 415, "application/json"},
		{"wrong method", httptest.NewRequest(http.MethodPut, "/graphql", nil), 405, "GET or POST"},
	} {
		res := do(t, h, tc.req)
		if res.status != tc.status || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, tc.message) {
			t.Errorf("%s: got %d %+v, want %d with %q", tc.name, res.status, res.Errors, tc.status, tc.message)
		}
	}
}

func TestBad_JSON_is_not_echoed(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler(testSchema(t), Options{}).ServeHTTP(rec, post(`{"query": 9434765919}`, ""))
	body, _ := io.ReadAll(rec.Body)
	if strings.Contains(string(body), "9434765919") {
		t.Fatalf("error echoes the request body: %s", body)
	}
}

func TestHandler_runs_documents_through_Options_Execute(t *testing.T) {
	calls := 0
	h := Handler(testSchema(t), Options{Execute: func(p graphql.ExecuteParams) *graphql.Result {
		calls++
		if p.AST == nil {
			t.Error("Execute got no parsed document")
		}
		return graphql.Execute(p)
	}})
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ echo(text: \"hi\") }"}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !strings.Contains(rec.Body.String(), `"echo":"hi"`) {
			t.Fatalf("body %s", rec.Body.String())
		}
	}
	if calls != 2 {
		t.Errorf("Execute called %d times, want 2", calls)
	}
}
