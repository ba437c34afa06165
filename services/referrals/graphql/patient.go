package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
	"carecoord/services/referrals/readmodel"
)

// patientFields are the fields this service adds to Patient. Referrals
// carry the patient's demographics, so this subgraph can also answer name,
// dateOfBirth and locality (from the patient's latest referral the viewer
// may see).
func (r *resolver) patientFields() graphql.Fields {
	return graphql.Fields{
		"referrals": &graphql.Field{
			Type:        nonNullList(r.t.referral),
			Description: "The patient's referrals in your localities, newest first.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return r.app.Queries.PatientReferrals.Handle(p.Context, NHSNumber(p.Source))
			}),
		},
		"timeline": &graphql.Field{
			Type:        nonNullList(r.t.timelineEntry),
			Description: "The referrals service's entries of the patient's timeline, in time order.",
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				entries, err := r.app.Queries.PatientTimeline.Handle(p.Context, NHSNumber(p.Source))
				return timeline(entries), err
			}),
		},
		"name": &graphql.Field{
			Type: graphql.String,
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				d, ok, err := r.app.Queries.PatientDetails.Handle(p.Context, NHSNumber(p.Source))
				return ifOK(ok, d.GivenName+" "+d.FamilyName), err
			}),
		},
		"dateOfBirth": &graphql.Field{
			Type: graphql.String,
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				d, ok, err := r.app.Queries.PatientDetails.Handle(p.Context, NHSNumber(p.Source))
				return ifOK(ok && d.DateOfBirth != nil, d.DateOfBirth), err
			}),
		},
		"locality": &graphql.Field{
			Type: r.t.locality,
			Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				d, ok, err := r.app.Queries.PatientDetails.Handle(p.Context, NHSNumber(p.Source))
				return ifOK(ok, EntityKey("id", d.Locality)), err
			}),
		},
	}
}

func ifOK(ok bool, v any) any {
	if !ok {
		return nil
	}
	return v
}

// timelineEntryType is TimelineEntry, the shape every service's timeline
// entries share. Its values are maps keyed by field name, so that a gateway
// can merge the services' entries.
func timelineEntryType() *graphql.Object {
	nnStr := graphql.NewNonNull(graphql.String)
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "TimelineEntry",
		Description: "One event in a patient's record: when, which service, what (a short non-clinical phrase) and the record it concerns.",
		Fields: graphql.Fields{
			"at":      {Type: nnStr},
			"service": {Type: nnStr},
			"type":    {Type: nnStr},
			"summary": {Type: nnStr},
			"refId":   {Type: graphql.ID},
		},
	})
}

func timeline(entries []readmodel.Timeline) []map[string]any {
	out := make([]map[string]any, len(entries))
	for i, e := range entries {
		out[i] = map[string]any{"at": gql.Time(e.At), "service": "referrals", "type": e.Type, "summary": e.Summary, "refId": e.ReferralID}
	}
	return out
}
