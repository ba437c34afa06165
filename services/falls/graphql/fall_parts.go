package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
	"carecoord/services/falls/domain"
	"carecoord/services/falls/readmodel"
)

// field is a field read from a source of type S.
func field[S any](t graphql.Output, get func(s S) any) *graphql.Field {
	return &graphql.Field{Type: t, Resolve: func(p graphql.ResolveParams) (any, error) { return get(p.Source.(S)), nil }}
}

var fallAddressType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "FallAddress",
	Description: "Where the patient is, as the caller said it.",
	Fields: graphql.Fields{
		"text":     field(nonNull(graphql.String), func(a domain.Address) any { return a.Text }),
		"postcode": field(graphql.String, func(a domain.Address) any { return orNil(a.Postcode.String()) }),
	},
})

var fallPatientType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "FallPatient",
	Description: "The patient as far as known: a fall alert often arrives before the NHS number does.",
	Fields: graphql.Fields{
		"nhsNumber":             field(graphql.String, func(p domain.Patient) any { return orNil(p.NHSNumber.String()) }),
		"nhsNumberVerification": field(nonNull(graphql.String), func(p domain.Patient) any { return string(p.Verification) }),
		"givenName":             field(graphql.String, func(p domain.Patient) any { return orNil(p.GivenName) }),
		"familyName":            field(graphql.String, func(p domain.Patient) any { return orNil(p.FamilyName) }),
		"dateOfBirth":           field(graphql.String, func(p domain.Patient) any { return orNil(p.DateOfBirth) }),
		"postcode":              field(graphql.String, func(p domain.Patient) any { return orNil(p.Postcode.String()) }),
		"gpPractice":            field(graphql.String, func(p domain.Patient) any { return orNil(p.GPPractice) }),
	},
})

var fallTriageType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "FallTriage",
	Description: "The ISTUMBLE answers and the response they decided.",
	Fields: graphql.Fields{
		"redFlags": field(listOf(redFlagEnum), func(t readmodel.Triage) any {
			out := make([]string, len(t.RedFlags))
			for i, f := range t.RedFlags {
				out[i] = string(f)
			}
			return out
		}),
		"injury":    field(nonNull(injuryEnum), func(t readmodel.Triage) any { return string(t.Injury) }),
		"response":  field(nonNull(responseEnum), func(t readmodel.Triage) any { return string(t.Response) }),
		"notes":     field(graphql.String, func(t readmodel.Triage) any { return orNil(t.Notes) }),
		"triagedAt": field(nonNull(graphql.String), func(t readmodel.Triage) any { return gql.Time(t.At) }),
		"triagedBy": field(nonNull(graphql.ID), func(t readmodel.Triage) any { return t.By }),
	},
})

var fallEscalationType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "FallEscalation",
	Description: "The hand-over to the ambulance service.",
	Fields: graphql.Fields{
		"escalatedAt":        field(nonNull(graphql.String), func(e readmodel.Escalation) any { return gql.Time(e.At) }),
		"escalatedBy":        field(nonNull(graphql.ID), func(e readmodel.Escalation) any { return e.By }),
		"reason":             field(graphql.String, func(e readmodel.Escalation) any { return orNil(e.Reason) }),
		"ambulanceReference": field(graphql.String, func(e readmodel.Escalation) any { return orNil(e.AmbulanceReference) }),
		"lineKeptOpen":       field(nonNull(graphql.Boolean), func(e readmodel.Escalation) any { return e.LineKeptOpen }),
	},
})

var fallDispatchType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "FallDispatch",
	Description: "A unit's assignment to the incident.",
	Fields: graphql.Fields{
		"responderId":  field(nonNull(graphql.ID), func(d readmodel.Dispatch) any { return d.ResponderID }),
		"callSign":     field(nonNull(graphql.String), func(d readmodel.Dispatch) any { return d.CallSign }),
		"level":        field(nonNull(levelEnum), func(d readmodel.Dispatch) any { return string(d.Level) }),
		"dispatchedAt": field(nonNull(graphql.String), func(d readmodel.Dispatch) any { return gql.Time(d.DispatchedAt) }),
		"dispatchedBy": field(nonNull(graphql.ID), func(d readmodel.Dispatch) any { return d.DispatchedBy }),
		"enRouteAt":    field(graphql.String, func(d readmodel.Dispatch) any { return gql.Time(d.EnRouteAt) }),
		"arrivedAt":    field(graphql.String, func(d readmodel.Dispatch) any { return gql.Time(d.ArrivedAt) }),
	},
})

var fallOutcomeType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "FallOutcomeRecord",
	Description: "How the response ended (published as falls.FallOutcomeRecorded.v1).",
	Fields: graphql.Fields{
		"outcome": field(nonNull(outcomeEnum), func(o readmodel.Outcome) any { return string(o.Outcome) }),
		"referTo": field(listOf(referToEnum), func(o readmodel.Outcome) any {
			out := make([]string, len(o.ReferTo))
			for i, r := range o.ReferTo {
				out[i] = string(r)
			}
			return out
		}),
		"clinicalNeed": field(graphql.String, func(o readmodel.Outcome) any { return orNil(o.ClinicalNeed) }),
		"recordedAt":   field(nonNull(graphql.String), func(o readmodel.Outcome) any { return gql.Time(o.RecordedAt) }),
		"recordedBy":   field(nonNull(graphql.ID), func(o readmodel.Outcome) any { return o.RecordedBy }),
	},
})
