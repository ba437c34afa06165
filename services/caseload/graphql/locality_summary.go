package graphql

import (
	"context"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
	"carecoord/services/caseload/app"
	"carecoord/services/caseload/readmodel"
)

// localitySummaryType carries only caseload's counts, under names unique to
// caseload, so the gateway can merge the four services' summaries.
var localitySummaryType = graphql.NewObject(localitySummaryConfig())

// localitySummaryConfig is LocalitySummary's definition, shared by the
// standalone type and the federated entity. Its value is a gql.Deferred:
// the counts are the ICT's (ICT clinicians of the locality, and admin),
// checked when a count is asked for.
func localitySummaryConfig() graphql.ObjectConfig {
	return graphql.ObjectConfig{
		Name:        "LocalitySummary",
		Description: "A locality in numbers.",
		Fields: graphql.Fields{
			"localityId":                 gql.DeferredKey[readmodel.LocalitySummary](nnID, ""),
			"caseloadSize":               gql.DeferredField(nnInt, "Open caseload episodes.", func(s readmodel.LocalitySummary) any { return s.Size }),
			"caseloadAwaitingAllocation": gql.DeferredField(nnInt, "Open episodes without a keyworker.", func(s readmodel.LocalitySummary) any { return s.AwaitingAllocation }),
			"caseloadActive":             gql.DeferredField(nnInt, "", func(s readmodel.LocalitySummary) any { return s.Active }),
			"caseloadUnderReview":        gql.DeferredField(nnInt, "", func(s readmodel.LocalitySummary) any { return s.UnderReview }),
			"caseloadPatientsAdmitted":   gql.DeferredField(nnInt, "Episodes suspended while the patient is in a bed.", func(s readmodel.LocalitySummary) any { return s.PatientsAdmitted }),
			"caseloadVisitsDueToday":     gql.DeferredField(nnInt, "", func(s readmodel.LocalitySummary) any { return s.VisitsDueToday }),
			"caseloadVisitsOverdue":      gql.DeferredField(nnInt, "", func(s readmodel.LocalitySummary) any { return s.VisitsOverdue }),
			"caseloadReviewsOverdue":     gql.DeferredField(nnInt, "", func(s readmodel.LocalitySummary) any { return s.ReviewsOverdue }),
		},
	}
}

// summaryOf is a locality's LocalitySummary value. Locality.summary never
// refuses (a gateway may resolve it here for another service's counts):
// the counts are loaded, with the viewer's checks, when a field asks.
func summaryOf(a *app.Application, localityID string) *gql.Deferred[readmodel.LocalitySummary] {
	return gql.Defer(localityID, func(ctx context.Context) (readmodel.LocalitySummary, error) {
		return a.Queries.LocalitySummary.Handle(ctx, localityID)
	})
}
