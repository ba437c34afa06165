package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
	"carecoord/services/caseload/app"
	"carecoord/services/caseload/readmodel"
)

func queryFields(a *app.Application) graphql.Fields {
	return graphql.Fields{
		"caseloadEpisode": {
			Type:        episodeType,
			Description: "A caseload episode, or null if there is none you may see.",
			Args:        graphql.FieldConfigArgument{"id": {Type: nnID}},
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return found(a.Queries.Episode.Handle(p.Context, str(p.Args["id"])))
			}),
		},
		"visitList": {
			Type:        list(visitType),
			Description: "A clinician's visits planned on a date (YYYY-MM-DD, London), in time order, in the localities you reach.",
			Args:        graphql.FieldConfigArgument{"clinicianId": {Type: nnID}, "date": {Type: nnString}},
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return listItems(a.Queries.VisitList.Handle(p.Context, str(p.Args["clinicianId"]), str(p.Args["date"])))
			}),
		},
		"keyworkerCaseload": {
			Type:        list(keyworkerCaseloadType),
			Description: "A team lead's view of a locality: per clinician, caseload size, visits due today and overdue, reviews overdue, patients admitted.",
			Args:        graphql.FieldConfigArgument{"localityId": {Type: nnID}},
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return a.Queries.KeyworkerCaseload.Handle(p.Context, str(p.Args["localityId"]))
			}),
		},
	}
}

// found turns "not there for you" into null.
func found(ep readmodel.EpisodeView, ok bool, err error) (any, error) {
	if err != nil || !ok {
		return nil, err
	}
	return ep, nil
}

func listItems(items []readmodel.VisitListItem, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	out := make([]visitNode, len(items))
	for i, it := range items {
		out[i] = visitNode{it.Visit, it.Episode}
	}
	return out, nil
}
