// Package graphql is the falls subgraph: its types, root fields, mutations
// and the fields it adds to the shared entities Locality (key id) and
// Patient (key nhsNumber), built in code with graphql-go. Resolvers are
// one-line calls into the app layer, wrapped by gql.Resolver so that typed
// errors reach the client as extensions.code. Type names the other
// subgraphs could also use are prefixed with Fall, except the two the
// gateway merges: TimelineEntry and LocalitySummary.
//
// It imports the falls app, domain and readmodel, pkg/gql, pkg/errs,
// pkg/locality, pkg/nhsnumber and graphql-go.
package graphql

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/errs"
	"carecoord/pkg/gql"
	"carecoord/pkg/locality"
	"carecoord/pkg/nhsnumber"
	"carecoord/services/falls/app"
)

// Subgraph is the falls service's part of the API.
type Subgraph struct {
	// Query and Mutation are the root fields of this service.
	Query, Mutation graphql.Fields
	// LocalityFields are added to Locality (openFalls, summary). Their
	// resolvers read the locality's id from the source: a map holding "id"
	// (map[string]any or map[string]string) or a struct with an ID field
	// (or a field tagged json:"id").
	LocalityFields graphql.Fields
	// PatientFields are added to Patient (falls, timeline); the source
	// carries "nhsNumber" the same way.
	PatientFields graphql.Fields

	localities *locality.Registry
	t          *types
}

// types are the subgraph's object types, made once per subgraph.
type types struct {
	app             *app.Application
	fallIncident    *graphql.Object
	responder       *graphql.Object
	timelineEntry   *graphql.Object
	localitySummary *graphql.Object
}

// New builds the subgraph over the application.
func New(a *app.Application, localities *locality.Registry) Subgraph {
	t := &types{app: a}
	t.timelineEntry = timelineEntryType()
	t.localitySummary = localitySummaryType()
	// FallIncident and Responder refer to each other: their fields are
	// thunks, resolved when the schema is built.
	t.fallIncident = t.fallIncidentType()
	t.responder = t.responderType()
	return Subgraph{
		Query:          t.queryFields(),
		Mutation:       t.mutationFields(),
		LocalityFields: t.localityFields(),
		PatientFields:  t.patientFields(),
		localities:     localities,
		t:              t,
	}
}

// Schema is the standalone schema of this subgraph: its root fields, and
// locality(id) and patient(nhsNumber) entry points returning this
// subgraph's own Locality and Patient types (the key and its fields).
func (s Subgraph) Schema() (graphql.Schema, error) {
	loc := graphql.NewObject(graphql.ObjectConfig{Name: "Locality", Fields: with(graphql.Fields{
		"id": &graphql.Field{Type: graphql.NewNonNull(graphql.ID)},
	}, s.LocalityFields)})
	pat := graphql.NewObject(graphql.ObjectConfig{Name: "Patient", Fields: with(graphql.Fields{
		"nhsNumber": &graphql.Field{Type: graphql.NewNonNull(graphql.String)},
	}, s.PatientFields)})
	query := with(graphql.Fields{
		"locality": &graphql.Field{
			Type: loc,
			Args: graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.ID)}},
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				id, _ := p.Args["id"].(string)
				if _, ok := s.localities.Get(locality.ID(id)); !ok {
					return nil, nil
				}
				return map[string]any{"id": id}, nil
			}),
		},
		"patient": &graphql.Field{
			Type: pat,
			Args: graphql.FieldConfigArgument{"nhsNumber": {Type: graphql.NewNonNull(graphql.String)}},
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				s, _ := p.Args["nhsNumber"].(string)
				n, err := nhsnumber.Parse(s)
				if err != nil {
					return nil, err
				}
				return map[string]any{"nhsNumber": n.String()}, nil
			}),
		},
	}, s.Query)
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query:    graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: query}),
		Mutation: graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: s.Mutation}),
	})
	if err != nil {
		return graphql.Schema{}, fmt.Errorf("falls subgraph: %w", err)
	}
	return schema, nil
}

func with(base graphql.Fields, more graphql.Fields) graphql.Fields {
	out := graphql.Fields{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// keyOf reads a shared entity's key (e.g. "id", "nhsNumber") from the
// source the composing schema hands a field: a map holding it, or a struct
// with a field named like it (case-insensitive) or tagged json:"<key>".
// Values that are fmt.Stringers (nhsnumber.Number) are read as strings.
func keyOf(src any, key string) (string, error) {
	missing := errs.Invalid(key, "the parent object carries no "+key, "entity-key")
	v := reflect.ValueOf(src)
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		v = v.Elem()
	}
	if !v.IsValid() {
		return "", missing
	}
	var field reflect.Value
	switch v.Kind() {
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return "", missing
		}
		field = v.MapIndex(reflect.ValueOf(key).Convert(v.Type().Key()))
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.IsExported() && (tag == key || strings.EqualFold(f.Name, key)) {
				field = v.Field(i)
				break
			}
		}
	}
	for field.IsValid() && (field.Kind() == reflect.Interface || field.Kind() == reflect.Pointer) {
		field = field.Elem()
	}
	if !field.IsValid() {
		return "", missing
	}
	if s, ok := field.Interface().(fmt.Stringer); ok {
		return s.String(), nil
	}
	if field.Kind() == reflect.String {
		return field.String(), nil
	}
	return "", missing
}

func nonNull(t graphql.Output) graphql.Output { return graphql.NewNonNull(t) }

func listOf(t graphql.Output) graphql.Output {
	return graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(t)))
}
