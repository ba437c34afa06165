// Package graphql is the beds service's GraphQL subgraph, built in code with
// graphql-go: one file per type, resolvers that are one-line calls into the
// app layer wrapped in gql.Resolver (typed errors become extensions.code).
// Names follow API.md; types are prefixed (Bed..., Discharge...) so that the
// gateway can compose them with the other services' without clashes.
//
// The shared entities are keyed as API.md says: the fields this subgraph
// adds to Locality receive a source carrying "id", those it adds to Patient
// a source carrying "nhsNumber" — either a map[string]any or a struct with
// an ID/NHSNumber field (see keyOf).
//
// It imports graphql-go, pkg/gql, and the service's app, domain and
// readmodel packages.
package graphql

import (
	"fmt"

	"github.com/graphql-go/graphql"

	"carecoord/services/beds/app"
)

// Subgraph is what the beds service contributes to the composed schema.
type Subgraph struct {
	Query, Mutation graphql.Fields
	// LocalityFields are added to Locality (key: id).
	LocalityFields graphql.Fields
	// PatientFields are added to Patient (key: nhsNumber).
	PatientFields graphql.Fields

	t *types
}

// types are the subgraph's object types, built once per Subgraph.
type types struct {
	app *app.Application

	patient, figures, hospitalOccupancy, occupancy, turnaround *graphql.Object
	nctr, followUp, transfer, timelineEntry, summary           *graphql.Object
	bedRequest, bedStay, bed, ward, hospital                   *graphql.Object
}

// New builds the subgraph over the application.
func New(a *app.Application) Subgraph {
	t := &types{app: a}
	// Leaves first: a type is built after every type it refers to.
	t.patient = bedPatientType()
	t.figures = occupancyFiguresType()
	t.hospitalOccupancy = hospitalOccupancyType(t)
	t.occupancy = bedOccupancyType(t)
	t.turnaround = turnaroundType()
	t.nctr = noCriteriaToResideType(t)
	t.followUp = followUpType()
	t.transfer = transferType()
	t.timelineEntry = timelineEntryType()
	t.summary = localitySummaryType()
	t.bedRequest = bedRequestType(t)
	t.bedStay = bedStayType(t)
	t.bed = bedType(t)
	t.ward = wardType(t)
	t.hospital = hospitalType(t)
	return Subgraph{
		Query:          queryFields(t),
		Mutation:       mutationFields(t),
		LocalityFields: localityFields(t),
		PatientFields:  patientFields(t),
		t:              t,
	}
}

// Schema builds the subgraph's standalone schema: its root fields, plus
// locality(id) and patient(nhsNumber) entry points returning this subgraph's
// own Locality and Patient types (the key and this subgraph's fields only).
func (s Subgraph) Schema() (graphql.Schema, error) {
	locFields := graphql.Fields{"id": &graphql.Field{Type: graphql.NewNonNull(graphql.ID), Resolve: func(p graphql.ResolveParams) (any, error) {
		id, _ := keyOf(p.Source, "id")
		return id, nil
	}}}
	for k, f := range s.LocalityFields {
		locFields[k] = f
	}
	patFields := graphql.Fields{"nhsNumber": &graphql.Field{Type: graphql.NewNonNull(graphql.String), Resolve: func(p graphql.ResolveParams) (any, error) {
		n, _ := keyOf(p.Source, "nhsNumber")
		return n, nil
	}}}
	for k, f := range s.PatientFields {
		patFields[k] = f
	}
	locality := graphql.NewObject(graphql.ObjectConfig{Name: "Locality", Fields: locFields})
	patient := graphql.NewObject(graphql.ObjectConfig{Name: "Patient", Fields: patFields})
	query := graphql.Fields{
		"locality": &graphql.Field{
			Type: locality,
			Args: graphql.FieldConfigArgument{"id": &graphql.ArgumentConfig{Type: graphql.NewNonNull(graphql.ID)}},
			Resolve: func(p graphql.ResolveParams) (any, error) {
				return map[string]any{"id": p.Args["id"]}, nil
			},
		},
		"patient": &graphql.Field{
			Type: patient,
			Args: graphql.FieldConfigArgument{"nhsNumber": &graphql.ArgumentConfig{Type: graphql.NewNonNull(graphql.String)}},
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
		return graphql.Schema{}, fmt.Errorf("beds subgraph: %w", err)
	}
	return schema, nil
}
