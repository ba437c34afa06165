package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
	"carecoord/services/referrals/app"
	"carecoord/services/referrals/readmodel"
)

// performanceType is UcrPerformance: the UCR 2-hour measure of a locality or
// of the whole system, as reported monthly, and over a rolling 30 days.
func (r *resolver) performanceType(t *types) *graphql.Object {
	nnInt := graphql.NewNonNull(graphql.Int)
	nnStr := graphql.NewNonNull(graphql.String)
	period := graphql.NewObject(graphql.ObjectConfig{
		Name: "UcrPeriod",
		Description: "Referral counts and the UCR 2-hour measure over a period. Referrals count in the period they were received; " +
			"UCR contacts in the period of their first face-to-face contact. Referrals the patient chose to defer are left out of the measure.",
		Fields: graphql.Fields{
			"from":                       {Type: nnStr, Resolve: periodField(func(p readmodel.Period) any { return gql.Time(p.From) })},
			"to":                         {Type: nnStr, Resolve: periodField(func(p readmodel.Period) any { return gql.Time(p.To) })},
			"referralsReceived":          {Type: nnInt, Resolve: periodField(func(p readmodel.Period) any { return p.ReferralsReceived })},
			"ucrReferralsReceived":       {Type: nnInt, Resolve: periodField(func(p readmodel.Period) any { return p.UCRReceived })},
			"ucrContacts":                {Type: nnInt, Description: "UCR referrals first seen face to face in the period.", Resolve: periodField(func(p readmodel.Period) any { return p.UCRContacts })},
			"ucrSeenWithin2h":            {Type: nnInt, Resolve: periodField(func(p readmodel.Period) any { return p.UCRWithin2h })},
			"ucrSeenWithin2hPercent":     {Type: graphql.Float, Description: "Null when there were no contacts. The standard is at least 70%.", Resolve: periodField(percent)},
			"ucrExcludedByPatientChoice": {Type: nnInt, Resolve: periodField(func(p readmodel.Period) any { return p.UCRExcluded })},
		},
	})
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "UcrPerformance",
		Description: "The UCR 2-hour measure, referral counts and the waiting list of a locality or the whole system.",
		Fields: graphql.Fields{
			"localityId":              {Type: graphql.ID, Description: "Null for the whole system.", Resolve: perfField(func(p app.Performance) any { return nilIfEmpty(p.Locality) })},
			"asOf":                    {Type: nnStr, Resolve: perfField(func(p app.Performance) any { return gql.Time(p.AsOf) })},
			"thisMonth":               {Type: graphql.NewNonNull(period), Description: "The calendar month (UK time) to now.", Resolve: perfField(func(p app.Performance) any { return p.ThisMonth })},
			"last30Days":              {Type: graphql.NewNonNull(period), Resolve: perfField(func(p app.Performance) any { return p.Last30Days })},
			"referralsOpen":           {Type: nnInt, Resolve: perfField(func(p app.Performance) any { return p.Open })},
			"referralsAwaitingTriage": {Type: nnInt, Resolve: perfField(func(p app.Performance) any { return p.AwaitingTriage })},
			"atRisk":                  {Type: nnInt, Description: "Open UCR referrals whose clock has run more than 90 minutes.", Resolve: perfField(func(p app.Performance) any { return p.UCRAtRisk })},
			"breached":                {Type: nnInt, Description: "Open UCR referrals past 2 hours.", Resolve: perfField(func(p app.Performance) any { return p.UCRBreached })},
			"atRiskReferrals":         {Type: nonNullList(t.referral), Description: "The at-risk referrals you may see, longest waiting first.", Resolve: perfField(func(p app.Performance) any { return nonNil(p.AtRiskReferrals) })},
			"waitingList":             {Type: nonNullList(t.band), Resolve: perfField(func(p app.Performance) any { return bands(p.WaitingList) })},
		},
	})
}

func periodField(fn func(readmodel.Period) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return fn(p.Source.(readmodel.Period)), nil }
}

func perfField(fn func(app.Performance) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return fn(p.Source.(app.Performance)), nil }
}

// nonNil keeps an empty list a list (not null) for a non-null field.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
