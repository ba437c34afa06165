package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
	"carecoord/services/falls/app"
)

// fallField is a FallIncident field read from the incident's view.
func fallField(t graphql.Output, desc string, get func(v app.FallView) any) *graphql.Field {
	return &graphql.Field{Type: t, Description: desc, Resolve: func(p graphql.ResolveParams) (any, error) {
		return get(p.Source.(app.FallView)), nil
	}}
}

func (t *types) fallIncidentType() *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "FallIncident",
		Description: "A fall alert and the response to it.",
		Fields: graphql.FieldsThunk(func() graphql.Fields {
			return graphql.Fields{
				"id":              fallField(nonNull(graphql.ID), "", func(v app.FallView) any { return v.ID }),
				"status":          fallField(nonNull(fallStatusEnum), "", func(v app.FallView) any { return string(v.Status) }),
				"risk":            fallField(nonNull(riskEnum), "How the queue ranks it.", func(v app.FallView) any { return string(v.Risk) }),
				"source":          fallField(nonNull(alertSourceEnum), "", func(v app.FallView) any { return string(v.Source) }),
				"alertedAt":       fallField(nonNull(graphql.String), "When the alert came in.", func(v app.FallView) any { return gql.Time(v.AlertedAt) }),
				"estimatedFallAt": fallField(graphql.String, "When the patient fell, if anyone knows.", func(v app.FallView) any { return gql.Time(v.FellAt) }),
				"onFloorSince":    fallField(nonNull(graphql.String), "The estimated fall time, else the alert time: where the time-on-the-floor clock starts.", func(v app.FallView) any { return gql.Time(v.OnFloorSince) }),
				"timeOnFloorMinutes": fallField(graphql.Int, "Whole minutes on the floor: to the lift (or the end of the response), or to now while the patient is still down. Null for a duplicate alert or a false alarm.",
					func(v app.FallView) any {
						if !v.TimeOnFloorKnown {
							return nil
						}
						return int(v.TimeOnFloor.Minutes())
					}),
				"onFloorOverOneHour":  fallField(nonNull(graphql.Boolean), "A lie of more than an hour: a breach.", func(v app.FallView) any { return v.OverOneHour }),
				"onFloorClockRunning": fallField(nonNull(graphql.Boolean), "The patient is still on the floor as far as the service knows.", func(v app.FallView) any { return v.ClockRunning }),
				"breachAt":            fallField(nonNull(graphql.String), "When the lie passes one hour.", func(v app.FallView) any { return gql.Time(v.BreachAt) }),
				"address":             fallField(nonNull(fallAddressType), "", func(v app.FallView) any { return v.Address }),
				"incidentLocalityId":  fallField(nonNull(graphql.ID), "The locality the patient fell in.", func(v app.FallView) any { return v.IncidentLocality }),
				"localityId":          fallField(nonNull(graphql.ID), "The patient's locality: their GP practice's when known, else where they fell.", func(v app.FallView) any { return v.Locality }),
				"patient":             fallField(nonNull(fallPatientType), "", func(v app.FallView) any { return v.Patient }),
				"triage":              fallField(fallTriageType, "The latest triage.", func(v app.FallView) any { return nilIfNil(v.Triage) }),
				"requiredResponse": fallField(responseEnum, "What triage decided.", func(v app.FallView) any {
					if v.Triage == nil {
						return nil
					}
					return string(v.Triage.Response)
				}),
				"escalation": fallField(fallEscalationType, "", func(v app.FallView) any { return nilIfNil(v.Escalation) }),
				"dispatch":   fallField(fallDispatchType, "The unit now assigned.", func(v app.FallView) any { return nilIfNil(v.Dispatch) }),
				"responder": &graphql.Field{Type: t.responder, Description: "The unit now assigned.",
					Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
						v := p.Source.(app.FallView)
						if v.Dispatch == nil {
							return nil, nil
						}
						return t.app.Queries.Responder(p.Context, v.Dispatch.ResponderID)
					})},
				"liftedAt":      fallField(graphql.String, "When the patient was lifted: the clock stops.", func(v app.FallView) any { return gql.Time(v.LiftedAt) }),
				"liftEquipment": fallField(graphql.String, "", func(v app.FallView) any { return orNil(v.LiftEquipment) }),
				"outcome":       fallField(fallOutcomeType, "", func(v app.FallView) any { return nilIfNil(v.Outcome) }),
				"closedAt":      fallField(graphql.String, "", func(v app.FallView) any { return gql.Time(v.ClosedAt) }),
				"closeReason": fallField(closeReasonEnum, "", func(v app.FallView) any {
					if v.CloseReason == "" {
						return nil
					}
					return string(v.CloseReason)
				}),
				"timeline": fallField(listOf(t.timelineEntry), "The incident's steps.", func(v app.FallView) any {
					out := make([]app.TimelineEntry, len(v.Timeline))
					for i, e := range v.Timeline {
						out[i] = app.TimelineEntry{At: e.At, Type: e.Type, Summary: e.Summary, RefID: v.ID}
					}
					return out
				}),
			}
		}),
	})
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nilIfNil turns a typed nil pointer into an untyped nil, which graphql-go
// resolves as null.
func nilIfNil[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
