// Package graphql is caseload's subgraph, built with graphql-go in code:
// one file per type, resolvers that are one-line calls into the app layer
// wrapped in gql.Resolver (typed errors become extensions.code once).
//
// Subgraph carries the root fields, the fields caseload adds to the shared
// entities Locality (key id) and Patient (key nhsNumber), and Schema(), a
// standalone schema for cmd/caseload and tests. Entity field resolvers read
// the key from a map source ({"id": "leek"}, {"nhsNumber": "..."}) or from a
// struct with that field (see key). Caseload's own types never refer to
// Locality or Patient: they carry localityId and nhsNumber, so the gateway
// can compose without two types of one name.
//
// It imports the app layer (and readmodel and domain for view and enum
// types), pkg/gql, pkg/locality and graphql-go.
package graphql

import (
	"fmt"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/locality"
	"carecoord/services/caseload/app"
)

// Subgraph is caseload's part of the API.
type Subgraph struct {
	Query, Mutation graphql.Fields
	// LocalityFields are added to Locality; the source carries "id".
	LocalityFields graphql.Fields
	// PatientFields are added to Patient; the source carries "nhsNumber".
	PatientFields graphql.Fields

	reg *locality.Registry
	app *app.Application
}

// New builds the subgraph over the application.
func New(a *app.Application, reg *locality.Registry) (Subgraph, error) {
	if a == nil || reg == nil {
		return Subgraph{}, fmt.Errorf("caseload graphql: an application and a locality registry are required")
	}
	return Subgraph{
		Query:          queryFields(a),
		Mutation:       mutationFields(a),
		LocalityFields: localityFields(a),
		PatientFields:  patientFields(a),
		reg:            reg,
		app:            a,
	}, nil
}

// Schema is the standalone schema: the root fields, locality(id) and
// patient(nhsNumber) entry points returning this subgraph's own Locality
// and Patient types (key and caseload's fields only), and the mutations. An
// error means the schema is inconsistent: do not start with it.
func (s Subgraph) Schema() (graphql.Schema, error) {
	localityFields := graphql.Fields{"id": &graphql.Field{Type: nnID, Resolve: func(p graphql.ResolveParams) (any, error) {
		return key(p.Source, "id"), nil
	}}}
	for k, f := range s.LocalityFields {
		localityFields[k] = f
	}
	patientFields := graphql.Fields{"nhsNumber": &graphql.Field{Type: nnString, Resolve: func(p graphql.ResolveParams) (any, error) {
		return key(p.Source, "nhsNumber"), nil
	}}}
	for k, f := range s.PatientFields {
		patientFields[k] = f
	}
	localityType := graphql.NewObject(graphql.ObjectConfig{Name: "Locality", Fields: localityFields})
	patientType := graphql.NewObject(graphql.ObjectConfig{Name: "Patient", Fields: patientFields})
	query := graphql.Fields{
		"locality": &graphql.Field{
			Type: localityType, Description: "A locality, or null if there is no such locality.",
			Args: graphql.FieldConfigArgument{"id": {Type: nnID}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				id, _ := p.Args["id"].(string)
				if _, ok := s.reg.Get(locality.ID(id)); !ok {
					return nil, nil
				}
				return map[string]any{"id": id}, nil
			},
		},
		"patient": &graphql.Field{
			Type: patientType, Description: "A patient by NHS number: the entry point to their caseload episodes and timeline.",
			Args: graphql.FieldConfigArgument{"nhsNumber": {Type: nnString}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				return map[string]any{"nhsNumber": p.Args["nhsNumber"]}, nil
			},
		},
	}
	for k, f := range s.Query {
		query[k] = f
	}
	schema, err := graphql.NewSchema(graphql.SchemaConfig{
		Query:    graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: query}),
		Mutation: graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: s.Mutation}),
	})
	if err != nil {
		return graphql.Schema{}, fmt.Errorf("caseload graphql: build schema: %w", err)
	}
	return schema, nil
}
