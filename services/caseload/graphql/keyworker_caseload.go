package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/services/caseload/readmodel"
)

var keyworkerCaseloadType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "KeyworkerCaseload",
	Description: "A clinician's share of a locality's caseload, as a team lead sees it. The row with no keyworker counts the episodes awaiting allocation. Visits count against the clinician who is to make them.",
	Fields: graphql.Fields{
		"keyworker":        get(clinicianType, "Null for the episodes awaiting a keyworker.", func(k readmodel.KeyworkerLoad) any { return deref(k.Keyworker) }),
		"episodes":         get(nnInt, "Open episodes with this keyworker.", func(k readmodel.KeyworkerLoad) any { return k.Episodes }),
		"visitsDueToday":   get(nnInt, "", func(k readmodel.KeyworkerLoad) any { return k.VisitsDueToday }),
		"visitsOverdue":    get(nnInt, "Planned for an earlier day and not yet recorded.", func(k readmodel.KeyworkerLoad) any { return k.VisitsOverdue }),
		"reviewsOverdue":   get(nnInt, "Care plans past their review date.", func(k readmodel.KeyworkerLoad) any { return k.ReviewsOverdue }),
		"patientsAdmitted": get(nnInt, "Episodes suspended while the patient is in a bed.", func(k readmodel.KeyworkerLoad) any { return k.PatientsAdmitted }),
	},
})

// deref is *p, or an untyped nil (which graphql-go resolves as null; a
// typed nil pointer would not be).
func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
