package federation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"

	"carecoord/pkg/errs"
	"carecoord/pkg/federation"
)

// Two subgraphs that share Patient (key nhsNumber) and the value type
// TimelineEntry. "people" owns Patient.name and refers to Locality without
// resolving it; "visits" owns Locality and adds Patient.visits.

func timelineEntry() *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "TimelineEntry",
		Description: "Something that happened to a patient.",
		Fields: graphql.Fields{
			"at":      {Type: graphql.NewNonNull(graphql.String)},
			"summary": {Type: graphql.NewNonNull(graphql.String)},
		},
	})
}

type person struct {
	NHSNumber string `json:"nhsNumber"`
	Name      string `json:"name"`
	Locality  string `json:"-"`
}

func peopleSubgraph(t *testing.T) graphql.Schema {
	t.Helper()
	people := map[string]*person{
		"9434765919": {NHSNumber: "9434765919", Name: "Ada Lovelace", Locality: "leek"},
		"9434765870": {NHSNumber: "9434765870", Name: "Mary Seacole", Locality: "tamworth"},
	}
	locality := federation.NewEntity(federation.EntityConfig{
		Object: graphql.ObjectConfig{Name: "Locality", Fields: graphql.Fields{"id": {Type: graphql.NewNonNull(graphql.ID)}}},
		Key:    "id",
	})
	entry := timelineEntry()
	patient := federation.NewEntity(federation.EntityConfig{
		Object: graphql.ObjectConfig{
			Name:        "Patient",
			Description: "A patient, by NHS number.",
			Fields: graphql.Fields{
				"nhsNumber": {Type: graphql.NewNonNull(graphql.String)}, // the default resolver reads the struct
				"name":      {Type: graphql.String},
				"locality": {Type: locality.Object(), Resolve: func(p graphql.ResolveParams) (any, error) {
					return map[string]any{"id": p.Source.(*person).Locality}, nil
				}},
				"timeline": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(entry))), Resolve: func(p graphql.ResolveParams) (any, error) {
					return []map[string]any{{"at": "2026-11-23T09:30:00Z", "summary": "Registered"}}, nil
				}},
			},
		},
		Key: "nhsNumber",
		Resolve: func(_ context.Context, rep map[string]any) (any, error) {
			if p := people[rep["nhsNumber"].(string)]; p != nil {
				return p, nil
			}
			return nil, nil
		},
	})
	s, err := federation.Subgraph(federation.Config{
		Query: graphql.Fields{"patient": {
			Type: patient.Object(),
			Args: graphql.FieldConfigArgument{"nhsNumber": {Type: graphql.NewNonNull(graphql.String)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				if pp := people[p.Args["nhsNumber"].(string)]; pp != nil {
					return pp, nil
				}
				return nil, nil
			},
		}},
		Entities:  []*federation.Entity{patient, locality},
		Shareable: []string{"TimelineEntry"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func visitsSubgraph(t *testing.T) graphql.Schema {
	t.Helper()
	localities := map[string]string{"leek": "Leek", "tamworth": "Tamworth"}
	visit := graphql.NewObject(graphql.ObjectConfig{
		Name: "Visit",
		Fields: graphql.Fields{
			"at":         {Type: graphql.NewNonNull(graphql.String)},
			"localityId": {Type: graphql.NewNonNull(graphql.ID)},
		},
	})
	entry := timelineEntry()
	locality := federation.NewEntity(federation.EntityConfig{
		Object: graphql.ObjectConfig{Name: "Locality", Fields: graphql.Fields{
			"id":   {Type: graphql.NewNonNull(graphql.ID)},
			"name": {Type: graphql.NewNonNull(graphql.String)},
			"visitsToday": {Type: graphql.NewNonNull(graphql.Int), Resolve: func(p graphql.ResolveParams) (any, error) {
				return len(p.Source.(map[string]any)["id"].(string)), nil
			}},
		}},
		Key: "id",
		Resolve: func(_ context.Context, rep map[string]any) (any, error) {
			id, _ := rep["id"].(string)
			name, ok := localities[id]
			if !ok {
				return nil, nil
			}
			return map[string]any{"id": id, "name": name}, nil
		},
	})
	patient := federation.NewEntity(federation.EntityConfig{
		Object: graphql.ObjectConfig{Name: "Patient", Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"nhsNumber": {Type: graphql.NewNonNull(graphql.String)},
				"visits": {
					Type:        graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(visit))),
					Description: "Visits, oldest first.",
					Args:        graphql.FieldConfigArgument{"limit": {Type: graphql.Int, DefaultValue: 10}},
					Resolve: func(p graphql.ResolveParams) (any, error) {
						n := p.Source.(map[string]any)["nhsNumber"].(string)
						return []map[string]any{{"at": "2026-11-24T10:00:00Z", "localityId": "leek", "for": n}}, nil
					},
				},
				"timeline": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(entry))), Resolve: func(p graphql.ResolveParams) (any, error) {
					return []map[string]any{{"at": "2026-11-24T10:00:00Z", "summary": "Visited"}}, nil
				}},
			}
		})},
		Key: "nhsNumber",
		Resolve: func(_ context.Context, rep map[string]any) (any, error) {
			if rep["nhsNumber"] == "0000000000" {
				return nil, errs.Forbidden("you may not see this patient's visits", "patient-forbidden")
			}
			return map[string]any{"nhsNumber": rep["nhsNumber"]}, nil
		},
	})
	s, err := federation.Subgraph(federation.Config{
		Query: graphql.Fields{"localityIds": {
			Type:    graphql.NewList(graphql.ID),
			Resolve: func(graphql.ResolveParams) (any, error) { return []string{"leek", "tamworth"}, nil },
		}},
		Entities:   []*federation.Entity{locality, patient},
		Shareable:  []string{"TimelineEntry"},
		Directives: map[string][]string{"Patient.timeline": {"@inaccessible"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// serve is a minimal GraphQL-over-HTTP endpoint for a subgraph.
func serve(t *testing.T, s graphql.Schema) *httptest.Server {
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
		res := graphql.Do(graphql.Params{Schema: s, RequestString: req.Query, VariableValues: req.Variables, Context: r.Context()})
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(res)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type response struct {
	Data   map[string]any `json:"data"`
	Errors []gqlError     `json:"errors"`
}

func post(t *testing.T, srv *httptest.Server, query string, variables map[string]any) response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": variables})
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out response
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

const peopleSDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])

type Locality @key(fields: "id", resolvable: false) {
  id: ID!
}

"""A patient, by NHS number."""
type Patient @key(fields: "nhsNumber") {
  locality: Locality
  name: String
  nhsNumber: String!
  timeline: [TimelineEntry!]!
}

type Query {
  patient(nhsNumber: String!): Patient
}

"""Something that happened to a patient."""
type TimelineEntry @shareable {
  at: String!
  summary: String!
}
`

func TestService_sdl_is_the_subgraph_with_its_federation_directives(t *testing.T) {
	people := serve(t, peopleSubgraph(t))
	res := post(t, people, `{ _service { sdl } }`, nil)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	got := res.Data["_service"].(map[string]any)["sdl"].(string)
	if got != peopleSDL {
		t.Fatalf("people SDL:\n%s\nwant\n%s", got, peopleSDL)
	}

	visits := visitsSubgraph(t)
	sdl, err := federation.SDL(visits)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@inaccessible"])`,
		`type Locality @key(fields: "id") {`,
		`type Patient @key(fields: "nhsNumber") {`,
		`  timeline: [TimelineEntry!]! @inaccessible`,
		`type TimelineEntry @shareable {`,
		`  visits(limit: Int = 10): [Visit!]!`,
	} {
		if !strings.Contains(sdl, want) {
			t.Errorf("visits SDL lacks %q:\n%s", want, sdl)
		}
	}
	for _, sdl := range []string{got, sdl} {
		for _, gone := range []string{"_service", "_entities", "_Service", "_Entity", "_Any"} {
			if strings.Contains(sdl, gone) {
				t.Errorf("the SDL has the protocol's own %s:\n%s", gone, sdl)
			}
		}
	}
}

// keysOf parses an SDL back and returns each object type's @key field set.
// graphql-go's parser does not know `extend schema`, so the @link header is
// checked and cut first.
func keysOf(t *testing.T, sdl string) map[string]string {
	t.Helper()
	header, body, ok := strings.Cut(sdl, "\n\n")
	if !ok || !strings.HasPrefix(header, "extend schema @link(") {
		t.Fatalf("no @link header:\n%s", sdl)
	}
	doc, err := parser.Parse(parser.ParseParams{Source: body})
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	keys := map[string]string{}
	for _, d := range doc.Definitions {
		o, ok := d.(*ast.ObjectDefinition)
		if !ok {
			continue
		}
		for _, dir := range o.Directives {
			if dir.Name.Value != "key" {
				continue
			}
			for _, a := range dir.Arguments {
				if a.Name.Value == "fields" {
					keys[o.Name.Value] = a.Value.GetValue().(string)
				}
			}
		}
	}
	return keys
}

func TestService_sdl_parses_back_with_its_keys(t *testing.T) {
	for name, s := range map[string]graphql.Schema{"people": peopleSubgraph(t), "visits": visitsSubgraph(t)} {
		sdl, err := federation.SDL(s)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"Locality": "id", "Patient": "nhsNumber"}
		if got := keysOf(t, sdl); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: keys %v, want %v", name, got, want)
		}
	}
}

const entitiesQuery = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Patient { nhsNumber visits { at localityId } }
    ... on Locality { id name visitsToday }
  }
}`

// A gateway's steps: ask people for a patient with its key, then visits for
// the fields it adds, by representation.
func TestEntities_resolve_representations_in_order_across_two_subgraphs(t *testing.T) {
	people, visits := serve(t, peopleSubgraph(t)), serve(t, visitsSubgraph(t))

	first := post(t, people, `{ patient(nhsNumber: "9434765919") { __typename nhsNumber name locality { __typename id } } }`, nil)
	if len(first.Errors) > 0 {
		t.Fatal(first.Errors)
	}
	patient := first.Data["patient"].(map[string]any)
	reps := []any{
		map[string]any{"__typename": patient["__typename"], "nhsNumber": patient["nhsNumber"]},
		patient["locality"],
		map[string]any{"__typename": "Locality", "id": "tamworth"},
		map[string]any{"__typename": "Patient", "nhsNumber": "9434765870"},
	}
	res := post(t, visits, entitiesQuery, map[string]any{"representations": reps})
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	want := []any{
		map[string]any{"__typename": "Patient", "nhsNumber": "9434765919", "visits": []any{map[string]any{"at": "2026-11-24T10:00:00Z", "localityId": "leek"}}},
		map[string]any{"__typename": "Locality", "id": "leek", "name": "Leek", "visitsToday": float64(4)},
		map[string]any{"__typename": "Locality", "id": "tamworth", "name": "Tamworth", "visitsToday": float64(8)},
		map[string]any{"__typename": "Patient", "nhsNumber": "9434765870", "visits": []any{map[string]any{"at": "2026-11-24T10:00:00Z", "localityId": "leek"}}},
	}
	if got := res.Data["_entities"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("_entities = %#v\nwant %#v", got, want)
	}

	// And back: people resolves its own Patient fields by representation,
	// from the struct its resolver returns.
	back := post(t, people, `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Patient { name locality { id } } } }`,
		map[string]any{"r": []any{map[string]any{"__typename": "Patient", "nhsNumber": "9434765870"}}})
	if len(back.Errors) > 0 {
		t.Fatal(back.Errors)
	}
	if got := back.Data["_entities"].([]any)[0]; !reflect.DeepEqual(got, map[string]any{"name": "Mary Seacole", "locality": map[string]any{"id": "tamworth"}}) {
		t.Fatalf("people _entities: %v", got)
	}
}

func TestEntities_fail_per_entry(t *testing.T) {
	visits := serve(t, visitsSubgraph(t))
	reps := []any{
		map[string]any{"__typename": "Patient", "nhsNumber": "9434765919"},
		map[string]any{"__typename": "Referral", "id": "r-1"},              // not an entity here
		map[string]any{"__typename": "Patient", "nhsNumber": "0000000000"}, // the resolver refuses
		map[string]any{"__typename": "Locality"},                           // no key
		map[string]any{"__typename": "Locality", "id": "nowhere"},          // no such entity: null, no error
		map[string]any{"__typename": "Locality", "id": "leek"},
	}
	res := post(t, visits, entitiesQuery, map[string]any{"representations": reps})
	got := res.Data["_entities"].([]any)
	if len(got) != len(reps) {
		t.Fatalf("%d entries for %d representations", len(got), len(reps))
	}
	for i, e := range got {
		if (e == nil) != (i >= 1 && i <= 4) {
			t.Errorf("entry %d = %v", i, e)
		}
	}
	if got[5].(map[string]any)["name"] != "Leek" {
		t.Errorf("last entry %v", got[5])
	}
	codes := map[float64]string{}
	for _, e := range res.Errors {
		if len(e.Path) != 2 || e.Path[0] != "_entities" {
			t.Errorf("error at %v: %s", e.Path, e.Message)
			continue
		}
		code, _ := e.Extensions["code"].(string)
		codes[e.Path[1].(float64)] = code
	}
	want := map[float64]string{1: "BAD_USER_INPUT", 2: "FORBIDDEN", 3: "BAD_USER_INPUT"}
	if !reflect.DeepEqual(codes, want) {
		t.Errorf("errors %v, want codes %v (%+v)", codes, want, res.Errors)
	}
	for _, e := range res.Errors {
		if e.Path[1].(float64) == 1 && !strings.Contains(e.Message, `"Referral" is not an entity`) {
			t.Errorf("unknown __typename error: %q", e.Message)
		}
	}
}

func TestEntities_take_representations_written_in_the_query(t *testing.T) {
	res := graphql.Do(graphql.Params{Schema: visitsSubgraph(t), RequestString: `{
		_entities(representations: [{__typename: "Locality", id: "leek"}, {__typename: "Patient", nhsNumber: "9434765919"}]) {
			... on Locality { name }
			... on Patient { visits(limit: 1) { localityId } }
		}
	}`})
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	b, _ := json.Marshal(res.Data)
	if string(b) != `{"_entities":[{"name":"Leek"},{"visits":[{"localityId":"leek"}]}]}` {
		t.Fatalf("%s", b)
	}
}

func TestSubgraph_without_resolvable_entities_has_no_entities_field(t *testing.T) {
	ref := federation.NewEntity(federation.EntityConfig{
		Object: graphql.ObjectConfig{Name: "Patient", Fields: graphql.Fields{"nhsNumber": {Type: graphql.NewNonNull(graphql.String)}}},
		Key:    "nhsNumber",
	})
	s, err := federation.Subgraph(federation.Config{
		Query:    graphql.Fields{"patients": {Type: graphql.NewList(ref.Object())}},
		Mutation: graphql.Fields{"ping": {Type: graphql.Boolean}},
		Entities: []*federation.Entity{ref},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.QueryType().Fields()["_entities"] != nil || s.Type("_Entity") != nil {
		t.Error("_entities without an entity to resolve")
	}
	sdl, err := federation.SDL(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sdl, `type Patient @key(fields: "nhsNumber", resolvable: false) {`) || !strings.Contains(sdl, "type Mutation {\n  ping: Boolean\n}") {
		t.Errorf("SDL:\n%s", sdl)
	}
}

func TestSubgraph_rejects_an_inconsistent_config(t *testing.T) {
	entity := func(name, key string) *federation.Entity {
		return federation.NewEntity(federation.EntityConfig{
			Object:  graphql.ObjectConfig{Name: name, Fields: graphql.Fields{"id": {Type: graphql.NewNonNull(graphql.ID)}}},
			Key:     key,
			Resolve: func(context.Context, map[string]any) (any, error) { return nil, nil },
		})
	}
	query := graphql.Fields{"ok": {Type: graphql.Boolean}}
	for name, cfg := range map[string]federation.Config{
		"key field missing":   {Query: query, Entities: []*federation.Entity{entity("Locality", "code")}},
		"no key":              {Query: query, Entities: []*federation.Entity{entity("Locality", " ")}},
		"entity twice":        {Query: query, Entities: []*federation.Entity{entity("Locality", "id"), entity("Locality", "id")}},
		"unknown shareable":   {Query: query, Entities: []*federation.Entity{entity("Locality", "id")}, Shareable: []string{"Locality.name"}},
		"unknown directive":   {Query: query, Directives: map[string][]string{"Nope": {"@inaccessible"}}},
		"not a directive":     {Query: query, Directives: map[string][]string{"Query.ok": {"inaccessible"}}},
		"_service redefined":  {Query: graphql.Fields{"_service": {Type: graphql.String}}},
		"_entities redefined": {Query: graphql.Fields{"_entities": {Type: graphql.String}}},
	} {
		if _, err := federation.Subgraph(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// An entity's object is an ordinary type outside _entities: its resolvers
// see the source as given.
func TestEntity_object_works_in_a_plain_schema(t *testing.T) {
	loc := federation.NewEntity(federation.EntityConfig{
		Object: graphql.ObjectConfig{Name: "Locality", Fields: graphql.Fields{
			"id": {Type: graphql.NewNonNull(graphql.ID)},
			"upper": {Type: graphql.String, Resolve: func(p graphql.ResolveParams) (any, error) {
				return strings.ToUpper(p.Source.(map[string]any)["id"].(string)), nil
			}},
		}},
		Key: "id",
	})
	s, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"locality": {Type: loc.Object(), Resolve: func(graphql.ResolveParams) (any, error) { return map[string]any{"id": "leek"}, nil }},
	}})})
	if err != nil {
		t.Fatal(err)
	}
	res := graphql.Do(graphql.Params{Schema: s, RequestString: `{ locality { id upper } }`})
	b, _ := json.Marshal(res)
	if string(b) != `{"data":{"locality":{"id":"leek","upper":"LEEK"}}}` {
		t.Fatalf("%s", b)
	}
}
