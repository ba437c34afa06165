package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/services/caseload/readmodel"
)

// localitySummaryType carries only caseload's counts, under names unique to
// caseload, so the gateway can merge the four services' summaries.
var localitySummaryType = graphql.NewObject(localitySummaryConfig())

// localitySummaryConfig is LocalitySummary's definition, shared by the
// standalone type and the federated entity.
func localitySummaryConfig() graphql.ObjectConfig {
	return graphql.ObjectConfig{
		Name:        "LocalitySummary",
		Description: "A locality in numbers.",
		Fields: graphql.Fields{
			"localityId":                 get(nnID, "", func(s readmodel.LocalitySummary) any { return s.LocalityID }),
			"caseloadSize":               get(nnInt, "Open caseload episodes.", func(s readmodel.LocalitySummary) any { return s.Size }),
			"caseloadAwaitingAllocation": get(nnInt, "Open episodes without a keyworker.", func(s readmodel.LocalitySummary) any { return s.AwaitingAllocation }),
			"caseloadActive":             get(nnInt, "", func(s readmodel.LocalitySummary) any { return s.Active }),
			"caseloadUnderReview":        get(nnInt, "", func(s readmodel.LocalitySummary) any { return s.UnderReview }),
			"caseloadPatientsAdmitted":   get(nnInt, "Episodes suspended while the patient is in a bed.", func(s readmodel.LocalitySummary) any { return s.PatientsAdmitted }),
			"caseloadVisitsDueToday":     get(nnInt, "", func(s readmodel.LocalitySummary) any { return s.VisitsDueToday }),
			"caseloadVisitsOverdue":      get(nnInt, "", func(s readmodel.LocalitySummary) any { return s.VisitsOverdue }),
			"caseloadReviewsOverdue":     get(nnInt, "", func(s readmodel.LocalitySummary) any { return s.ReviewsOverdue }),
		},
	}
}
