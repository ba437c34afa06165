package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
	"carecoord/services/caseload/app"
)

// localityFields are caseload's fields of Locality.
func localityFields(a *app.Application) graphql.Fields {
	return graphql.Fields{
		"caseload": {
			Type:        list(episodeType),
			Description: "The locality's caseload episodes in the given statuses; without status, the open ones (not discharged, transferred or deceased). Oldest first.",
			Args:        graphql.FieldConfigArgument{"status": {Type: inputList(episodeStatusEnum)}},
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return a.Queries.LocalityCaseload.Handle(p.Context, key(p.Source, "id"), strings_(p.Args["status"]))
			}),
		},
		"summary": {
			Type: graphql.NewNonNull(localitySummaryType),
			Resolve: func(p graphql.ResolveParams) (any, error) {
				return summaryOf(a, key(p.Source, "id")), nil
			},
		},
		"keyworkerCaseload": {
			Type:        list(keyworkerCaseloadType),
			Description: "As Query.keyworkerCaseload.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return a.Queries.KeyworkerCaseload.Handle(p.Context, key(p.Source, "id"))
			}),
		},
	}
}

// patientFields are caseload's fields of Patient.
func patientFields(a *app.Application) graphql.Fields {
	return graphql.Fields{
		"caseloadEpisodes": {
			Type:        list(episodeType),
			Description: "The patient's caseload episodes in the localities you reach, newest first.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return a.Queries.PatientEpisodes.Handle(p.Context, key(p.Source, "nhsNumber"))
			}),
		},
		"timeline": {
			Type:        list(timelineEntryType),
			Description: "What happened in the patient's caseload episodes, in time order.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return a.Queries.Timeline.Handle(p.Context, key(p.Source, "nhsNumber"))
			}),
		},
	}
}
