package graphql

import (
	"context"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
	"carecoord/services/falls/app"
)

// localitySummaryType is the falls part of the shared LocalitySummary; the
// gateway merges the services' fields, so each name is unique to falls.
func localitySummaryType() *graphql.Object {
	return graphql.NewObject(localitySummaryConfig())
}

// localitySummaryConfig is LocalitySummary's definition, shared by the
// standalone type and the federated entity. Its value is a gql.Deferred:
// the counts are the falls response's (dispatchers, ICT clinicians of the
// locality, and admin), checked when a count is asked for.
func localitySummaryConfig() graphql.ObjectConfig {
	return graphql.ObjectConfig{
		Name:        "LocalitySummary",
		Description: "A locality's figures.",
		Fields: graphql.Fields{
			"localityId":              gql.DeferredKey[app.LocalitySummary](nonNull(graphql.ID), ""),
			"openFalls":               gql.DeferredField(nonNull(graphql.Int), "", func(s app.LocalitySummary) any { return s.OpenFalls }),
			"fallsOnFloorOverOneHour": gql.DeferredField(nonNull(graphql.Int), "", func(s app.LocalitySummary) any { return s.OnFloorOverOneHour }),
			"fallsAwaitingResponder":  gql.DeferredField(nonNull(graphql.Int), "", func(s app.LocalitySummary) any { return s.AwaitingResponder }),
			"fallsLast30Days":         gql.DeferredField(nonNull(graphql.Int), "", func(s app.LocalitySummary) any { return s.Last30Days }),
			"fallsLiftedWithinOneHourPercent": gql.DeferredField(graphql.Float, "", func(s app.LocalitySummary) any {
				if s.LiftedWithinOneHourPercent == nil {
					return nil
				}
				return *s.LiftedWithinOneHourPercent
			}),
		},
	}
}

// summaryOf is a locality's LocalitySummary value. Locality.summary never
// refuses (a gateway may resolve it here for another service's counts):
// the counts are loaded, with the viewer's checks, when a field asks.
func summaryOf(q app.Queries, localityID string) *gql.Deferred[app.LocalitySummary] {
	return gql.Defer(localityID, func(ctx context.Context) (app.LocalitySummary, error) {
		return q.LocalitySummary(ctx, localityID)
	})
}
