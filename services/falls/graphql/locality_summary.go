package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/services/falls/app"
)

// localitySummaryType is the falls part of the shared LocalitySummary; the
// gateway merges the services' fields, so each name is unique to falls.
func localitySummaryType() *graphql.Object {
	return graphql.NewObject(localitySummaryConfig())
}

// localitySummaryConfig is LocalitySummary's definition, shared by the
// standalone type and the federated entity.
func localitySummaryConfig() graphql.ObjectConfig {
	return graphql.ObjectConfig{
		Name:        "LocalitySummary",
		Description: "A locality's figures.",
		Fields: graphql.Fields{
			"localityId":              field(nonNull(graphql.ID), func(s app.LocalitySummary) any { return s.LocalityID }),
			"openFalls":               field(nonNull(graphql.Int), func(s app.LocalitySummary) any { return s.OpenFalls }),
			"fallsOnFloorOverOneHour": field(nonNull(graphql.Int), func(s app.LocalitySummary) any { return s.OnFloorOverOneHour }),
			"fallsAwaitingResponder":  field(nonNull(graphql.Int), func(s app.LocalitySummary) any { return s.AwaitingResponder }),
			"fallsLast30Days":         field(nonNull(graphql.Int), func(s app.LocalitySummary) any { return s.Last30Days }),
			"fallsLiftedWithinOneHourPercent": field(graphql.Float, func(s app.LocalitySummary) any {
				if s.LiftedWithinOneHourPercent == nil {
					return nil
				}
				return *s.LiftedWithinOneHourPercent
			}),
		},
	}
}
