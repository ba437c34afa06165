package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"

	"carecoord/services/beds/domain"
)

// queryFields are the subgraph's root query fields.
func queryFields(t *types) graphql.Fields {
	q := t.app.Queries
	hospitalArg := graphql.FieldConfigArgument{"hospitalId": &graphql.ArgumentConfig{Type: graphql.ID, Description: "One hospital; all when omitted."}}
	idArg := graphql.FieldConfigArgument{"id": &graphql.ArgumentConfig{Type: nnID}}
	return graphql.Fields{
		"communityHospitals": &graphql.Field{
			Type:    listOf(t.hospital),
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) { return q.CommunityHospitals(p.Context) }),
		},
		"communityHospital": &graphql.Field{
			Type: t.hospital, Args: idArg,
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) { return q.CommunityHospital(p.Context, str(p.Args["id"])) }),
		},
		"bedBoard": &graphql.Field{
			Type: listOf(t.ward), Args: hospitalArg, Description: "Every bed's state, ward by ward.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) { return q.BedBoard(p.Context, str(p.Args["hospitalId"])) }),
		},
		"bed": &graphql.Field{
			Type: t.bed, Args: idArg, Description: "One bed's state (NOT_FOUND when there is no such bed).",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) { return q.Bed(p.Context, str(p.Args["id"])) }),
		},
		"bedRequests": &graphql.Field{
			Type: listOf(t.bedRequest), Description: "Bed requests, most urgent first and oldest first within a priority.",
			Args: graphql.FieldConfigArgument{"status": &graphql.ArgumentConfig{Type: graphql.NewList(graphql.NewNonNull(bedRequestStatusEnum)), Description: "Only these statuses; all when omitted."}},
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return q.BedRequests(p.Context, enumList[domain.RequestStatus](p.Args["status"]))
			}),
		},
		"bedRequest": &graphql.Field{
			Type: t.bedRequest, Args: idArg,
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) { return q.BedRequest(p.Context, str(p.Args["id"])) }),
		},
		"bedStay": &graphql.Field{
			Type: t.bedStay, Args: idArg,
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) { return q.BedStay(p.Context, str(p.Args["id"])) }),
		},
		"bedOccupancy": &graphql.Field{
			Type: graphql.NewNonNull(t.occupancy), Description: "Occupancy per hospital and overall.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) { return q.Occupancy(p.Context) }),
		},
		"noCriteriaToResidePatients": &graphql.Field{
			Type: listOf(t.bedStay), Args: hospitalArg, Description: "Admitted patients with no criteria to reside (delayed discharges), longest delayed first.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return q.NoCriteriaToReside(p.Context, str(p.Args["hospitalId"]))
			}),
		},
		"bedsAwaitingClean": &graphql.Field{
			Type: listOf(t.bed), Args: hospitalArg, Description: "Beds waiting for housekeeping, longest waiting first.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return q.BedsAwaitingClean(p.Context, str(p.Args["hospitalId"]))
			}),
		},
		"bedCleaningTurnaround": &graphql.Field{
			Type: graphql.NewNonNull(t.turnaround), Args: hospitalArg, Description: "Recent cleaning turnaround times.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return q.CleaningTurnaround(p.Context, str(p.Args["hospitalId"]))
			}),
		},
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// enumList reads a list argument of enum values.
func enumList[T ~string](v any) []T {
	list, _ := v.([]any)
	out := make([]T, 0, len(list))
	for _, x := range list {
		if e, ok := x.(T); ok {
			out = append(out, e)
		}
	}
	return out
}
