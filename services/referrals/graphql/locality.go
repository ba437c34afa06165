package graphql

import (
	"context"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
	"carecoord/services/referrals/app"
	"carecoord/services/referrals/readmodel"
)

// localityFields are the fields this service adds to Locality.
func (r *resolver) localityFields() graphql.Fields {
	return graphql.Fields{
		"referrals": &graphql.Field{
			Type:        nonNullList(r.t.referral),
			Description: "The locality's referral queue: most urgent priority first, then longest waiting. Without status, the open referrals.",
			Args:        graphql.FieldConfigArgument{"status": {Type: graphql.NewList(graphql.NewNonNull(r.t.status))}},
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return r.app.Queries.LocalityReferrals.Handle(p.Context, LocalityID(p.Source), stringList(p.Args["status"]))
			}),
		},
		"summary": &graphql.Field{
			Type:        graphql.NewNonNull(r.t.summary),
			Description: "Referral counts, the UCR 2-hour measure and the waiting list.",
			// Never refused: the counts' fields check the viewer (see
			// gql.Deferred), so that a gateway resolving the shared
			// Locality.summary here still shows another service's counts
			// to whoever may see them.
			Resolve: func(p graphql.ResolveParams) (any, error) {
				return r.summaryOf(LocalityID(p.Source)), nil
			},
		},
		"ucrPerformance": &graphql.Field{
			Type:        graphql.NewNonNull(r.t.performance),
			Description: "The locality's UCR 2-hour measure in detail.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return r.app.Queries.Performance.Handle(p.Context, LocalityID(p.Source))
			}),
		},
	}
}

// stringList reads a list argument of enum values.
func stringList(arg any) []string {
	list, _ := arg.([]any)
	out := make([]string, 0, len(list))
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// localitySummaryType is LocalitySummary with this service's counts, under
// names unique to referrals, so that a gateway can merge the four services'
// summaries into one.
func localitySummaryType(t *types) *graphql.Object {
	return graphql.NewObject(localitySummaryConfig(t))
}

// localitySummaryConfig is LocalitySummary's definition, shared by the
// standalone type and the federated entity. Its value is a gql.Deferred
// whose part is summary's map: the counts are the ICT's (ICT clinicians of
// the locality, and admin), checked when a count is asked for.
func localitySummaryConfig(t *types) graphql.ObjectConfig {
	nnInt := graphql.NewNonNull(graphql.Int)
	count := func(typ graphql.Output, name, desc string) *graphql.Field {
		return gql.DeferredField(typ, desc, func(s map[string]any) any { return s[name] })
	}
	return graphql.ObjectConfig{
		Name:        "LocalitySummary",
		Description: "What a locality looks like now.",
		Fields: graphql.Fields{
			"localityId":                       gql.DeferredKey[map[string]any](graphql.NewNonNull(graphql.ID), ""),
			"referralsReceived":                count(nnInt, "referralsReceived", "Referrals received this calendar month."),
			"referralsReceivedLast30Days":      count(nnInt, "referralsReceivedLast30Days", ""),
			"referralsOpen":                    count(nnInt, "referralsOpen", "Referrals not yet seen, closed or triaged away."),
			"referralsAwaitingTriage":          count(nnInt, "referralsAwaitingTriage", ""),
			"ucrReferralsReceived":             count(nnInt, "ucrReferralsReceived", "UCR 2-hour referrals received this calendar month."),
			"ucrSeenWithin2hPercent":           count(graphql.Float, "ucrSeenWithin2hPercent", "UCR referrals first seen this calendar month within 2 hours, %; null when none were seen."),
			"ucrSeenWithin2hPercentLast30Days": count(graphql.Float, "ucrSeenWithin2hPercentLast30Days", ""),
			"ucrAtRisk":                        count(nnInt, "ucrAtRisk", "Open UCR referrals whose 2-hour clock has run more than 90 minutes."),
			"ucrBreached":                      count(nnInt, "ucrBreached", "Open UCR referrals past 2 hours."),
			"referralWaitingList":              count(nonNullList(t.band), "referralWaitingList", "Open referrals by weeks since receipt, in the national bands."),
		},
	}
}

// summaryOf is a locality's LocalitySummary value: its counts are loaded,
// with the viewer's checks, when a field asks for them.
func (r *resolver) summaryOf(localityID string) *gql.Deferred[map[string]any] {
	return gql.Defer(localityID, func(ctx context.Context) (map[string]any, error) {
		perf, err := r.app.Queries.Performance.Handle(ctx, localityID)
		if err != nil {
			return nil, err
		}
		return summary(localityID, perf), nil
	})
}

// summary is a LocalitySummary value.
func summary(localityID string, p app.Performance) map[string]any {
	return map[string]any{
		"localityId":                       localityID,
		"referralsReceived":                p.ThisMonth.ReferralsReceived,
		"referralsReceivedLast30Days":      p.Last30Days.ReferralsReceived,
		"referralsOpen":                    p.Open,
		"referralsAwaitingTriage":          p.AwaitingTriage,
		"ucrReferralsReceived":             p.ThisMonth.UCRReceived,
		"ucrSeenWithin2hPercent":           percent(p.ThisMonth),
		"ucrSeenWithin2hPercentLast30Days": percent(p.Last30Days),
		"ucrAtRisk":                        p.UCRAtRisk,
		"ucrBreached":                      p.UCRBreached,
		"referralWaitingList":              bands(p.WaitingList),
	}
}

func percent(p readmodel.Period) any {
	if v, ok := p.Within2hPercent(); ok {
		return v
	}
	return nil
}

func bands(list []readmodel.BandCount) []map[string]any {
	out := make([]map[string]any, len(list))
	for i, b := range list {
		var max any
		if b.MaxWeeks > 0 {
			max = b.MaxWeeks
		}
		out[i] = map[string]any{"band": b.Label, "minWeeks": b.MinWeeks, "maxWeeks": max, "count": b.Count}
	}
	return out
}

// waitingListBandType is ReferralWaitingListBand.
func waitingListBandType() *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "ReferralWaitingListBand",
		Description: "A band of the national waiting-list report.",
		Fields: graphql.Fields{
			"band":     {Type: graphql.NewNonNull(graphql.String), Description: "0-1, 1-2, 2-4, 4-12, 12-18, 18-52 or 52+ (weeks)."},
			"minWeeks": {Type: graphql.NewNonNull(graphql.Int)},
			"maxWeeks": {Type: graphql.Int, Description: "Exclusive; null for 52+."},
			"count":    {Type: graphql.NewNonNull(graphql.Int)},
		},
	})
}
