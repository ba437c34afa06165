package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
)

func (t *types) queryFields() graphql.Fields {
	q := t.app.Queries
	return graphql.Fields{
		"fallIncident": &graphql.Field{
			Type: t.fallIncident,
			Args: graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.ID)}},
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				id, _ := p.Args["id"].(string)
				return q.FallIncident(p.Context, id)
			}),
		},
		"fallsQueue": &graphql.Field{
			Type:        listOf(t.fallIncident),
			Description: "Open incidents: red flags first, then untriaged, level 2, level 1, then those awaiting closure; within each, the longest on the floor first.",
			Resolve:     gql.Resolver(func(p graphql.ResolveParams) (any, error) { return q.FallsQueue(p.Context) }),
		},
		"fallsOverOneHour": &graphql.Field{
			Type:        listOf(t.fallIncident),
			Description: "Open incidents whose patient has been on the floor more than an hour, the longest first.",
			Resolve:     gql.Resolver(func(p graphql.ResolveParams) (any, error) { return q.FallsOverOneHour(p.Context) }),
		},
		"responders": &graphql.Field{
			Type:        listOf(t.responder),
			Description: "Every falls responder unit with its state.",
			Resolve:     gql.Resolver(func(p graphql.ResolveParams) (any, error) { return q.Responders(p.Context) }),
		},
	}
}

func (t *types) localityFields() graphql.Fields {
	q := t.app.Queries
	return graphql.Fields{
		"openFalls": &graphql.Field{
			Type:        listOf(t.fallIncident),
			Description: "Open falls of the locality's patients, in queue order.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				id, err := keyOf(p.Source, "id")
				if err != nil {
					return nil, err
				}
				return q.OpenFalls(p.Context, id)
			}),
		},
		"summary": &graphql.Field{
			Type: nonNull(t.localitySummary),
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				id, err := keyOf(p.Source, "id")
				if err != nil {
					return nil, err
				}
				return summaryOf(q, id), nil
			}),
		},
	}
}

func (t *types) patientFields() graphql.Fields {
	q := t.app.Queries
	return graphql.Fields{
		"falls": &graphql.Field{
			Type:        listOf(t.fallIncident),
			Description: "The patient's falls within your reach, the latest first.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				n, err := keyOf(p.Source, "nhsNumber")
				if err != nil {
					return nil, err
				}
				return q.PatientFalls(p.Context, n)
			}),
		},
		"timeline": &graphql.Field{
			Type:        listOf(t.timelineEntry),
			Description: "The falls steps of the patient's incidents, in time order.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				n, err := keyOf(p.Source, "nhsNumber")
				if err != nil {
					return nil, err
				}
				return q.PatientTimeline(p.Context, n)
			}),
		},
	}
}
