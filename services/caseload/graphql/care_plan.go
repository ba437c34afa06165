package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/services/caseload/readmodel"
)

var carePlanType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "CarePlan",
	Description: "One agreed version of an episode's care plan.",
	Fields: graphql.Fields{
		"version":        get(nnInt, "From 1; each update is a new version.", func(c readmodel.CarePlanView) any { return c.Version }),
		"goals":          get(list(graphql.String), "", func(c readmodel.CarePlanView) any { return c.Goals }),
		"nextReviewDate": get(nnString, "The date (YYYY-MM-DD) the plan is next reviewed.", func(c readmodel.CarePlanView) any { return c.NextReviewDate }),
		"agreedAt":       get(nnString, "", func(c readmodel.CarePlanView) any { return when(c.AgreedAt) }),
		"agreedBy":       get(graphql.String, "The user who recorded it.", func(c readmodel.CarePlanView) any { return opt(c.AgreedBy) }),
	},
})
