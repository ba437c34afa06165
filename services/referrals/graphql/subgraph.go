// Package graphql is the referrals subgraph: the Referral type and its parts,
// the fields this service adds to the shared entities Locality (key id) and
// Patient (key nhsNumber), its root queries and mutations, and a standalone
// schema for running the service alone. Names follow shared/API.md. One file
// per GraphQL type; resolvers are one-line calls into the app layer wrapped in
// gql.Resolver, which maps typed errors to extensions.code.
//
// Shared-entity sources: a resolver of LocalityFields receives its Locality
// as map[string]any{"id": "<locality id>"} (map[string]string, a string, or a
// struct with an ID field or `json:"id"` tag also do); a resolver of
// PatientFields receives map[string]any{"nhsNumber": "<NHS number>"} in the
// same way. Fields this subgraph returns of type Locality or Patient resolve to
// such maps, so a composing gateway can resolve the other services' fields
// from them. TimelineEntry values are plain maps keyed by field name, so a
// gateway can merge them with the other services'; a LocalitySummary is a
// gql.Deferred keyed by locality, whose counts (a map keyed by field name)
// are loaded, with the viewer's checks, by the fields that ask for them.
//
// Type names other than the shared ones (Locality, Patient, TimelineEntry,
// LocalitySummary) begin with Referral or Ucr, so they cannot clash with the
// other subgraphs' types when composed.
//
// It imports graphql-go, the service's app, domain and readmodel packages,
// pkg/errs, pkg/gql, pkg/locality and pkg/nhsnumber.
package graphql

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/errs"
	"carecoord/pkg/gql"
	"carecoord/pkg/locality"
	"carecoord/services/referrals/app"
)

// Subgraph is the referrals service's part of the GraphQL API.
type Subgraph struct {
	// Query and Mutation are this service's root fields.
	Query, Mutation graphql.Fields
	// LocalityFields are the fields this service adds to Locality.
	LocalityFields graphql.Fields
	// PatientFields are the fields this service adds to Patient.
	PatientFields graphql.Fields

	localities *locality.Registry
	app        *app.Application
	locality   *graphql.Object
	patient    *graphql.Object
}

// resolver is the shared state of the subgraph's resolvers.
type resolver struct {
	app *app.Application
	t   *types
}

// New builds the subgraph over the application.
func New(a *app.Application, localities *locality.Registry) Subgraph {
	s := Subgraph{localities: localities, app: a}
	r := &resolver{app: a}
	// The shared entities are built from thunks, so that Referral can
	// point at them before their fields exist.
	s.locality = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Locality",
		Description: "A locality and its integrated care team (key: id).",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			f := graphql.Fields{"id": &graphql.Field{Type: graphql.NewNonNull(graphql.ID), Resolve: func(p graphql.ResolveParams) (any, error) { return LocalityID(p.Source), nil }}}
			for k, v := range s.LocalityFields {
				f[k] = v
			}
			return f
		}),
	})
	s.patient = graphql.NewObject(graphql.ObjectConfig{
		Name:        "Patient",
		Description: "A patient, by NHS number (key: nhsNumber).",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			f := graphql.Fields{"nhsNumber": &graphql.Field{Type: graphql.NewNonNull(graphql.String), Resolve: func(p graphql.ResolveParams) (any, error) { return NHSNumber(p.Source), nil }}}
			for k, v := range s.PatientFields {
				f[k] = v
			}
			return f
		}),
	})
	r.t = newTypes(r, s.locality, s.patient)
	s.Query = r.queryFields()
	s.Mutation = r.mutationFields()
	s.LocalityFields = r.localityFields()
	s.PatientFields = r.patientFields()
	return s
}

// Schema is the service's standalone schema: its root fields, plus
// locality(id) and patient(nhsNumber) entry points to its own Locality and
// Patient types holding only the key and this service's fields.
func (s Subgraph) Schema() (graphql.Schema, error) {
	query := graphql.Fields{
		"locality": &graphql.Field{
			Type:        s.locality,
			Description: "A locality, by ID.",
			Args:        graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.ID)}},
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				id, err := s.localities.Must("id", p.Args["id"].(string))
				return EntityKey("id", string(id)), err
			}),
		},
		"patient": &graphql.Field{
			Type:        s.patient,
			Description: "A patient, by NHS number.",
			Args:        graphql.FieldConfigArgument{"nhsNumber": {Type: graphql.NewNonNull(graphql.String)}},
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return patientKey(p.Args["nhsNumber"].(string))
			}),
		},
	}
	for k, v := range s.Query {
		query[k] = v
	}
	return graphql.NewSchema(graphql.SchemaConfig{
		Query:    graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: query}),
		Mutation: graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: s.Mutation}),
	})
}

// EntityKey is the source value of a shared entity: its key field.
func EntityKey(key, value string) map[string]any { return map[string]any{key: value} }

// LocalityID reads a Locality source's id.
func LocalityID(src any) string { return keyOf(src, "id") }

// NHSNumber reads a Patient source's nhsNumber.
func NHSNumber(src any) string { return keyOf(src, "nhsNumber") }

// keyOf reads a key from an entity source: a map, a bare string, or a
// struct field named like the key or tagged with it.
func keyOf(src any, key string) string {
	switch s := src.(type) {
	case map[string]any:
		if v, ok := s[key]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	case map[string]string:
		return s[key]
	case string:
		return s
	case *string:
		if s != nil {
			return *s
		}
		return ""
	}
	v := reflect.Indirect(reflect.ValueOf(src))
	if v.Kind() != reflect.Struct {
		return ""
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && (tag == key || (tag == "" && strings.EqualFold(f.Name, key))) {
			return fmt.Sprint(v.Field(i).Interface())
		}
	}
	return ""
}

// patientKey is the Patient source of an NHS number given as input.
func patientKey(nhs string) (any, error) {
	n := strings.Join(strings.Fields(nhs), "")
	if len(n) != 10 {
		return nil, errs.Invalid("nhsNumber", "an NHS number has 10 digits", "nhs-number-length")
	}
	return EntityKey("nhsNumber", n), nil
}

// commandID is the mutation's optional commandId.
func commandID(p graphql.ResolveParams) string {
	s, _ := p.Args["commandId"].(string)
	return s
}

// timeOrNil formats an optional time.
func timeOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return gql.Time(*t)
}

// nonNullList is [T!]!.
func nonNullList(t graphql.Type) graphql.Type {
	return graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(t)))
}
