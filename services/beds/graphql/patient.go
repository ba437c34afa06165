package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/services/beds/domain"
)

// BedPatient is the patient a bed request or stay is for, as the referrer
// identified them.
func bedPatientType() *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "BedPatient",
		Description: "The patient a bed request or stay is for, as the referrer identified them.",
		Fields: graphql.Fields{
			"nhsNumber":             field(nnString, func(p domain.Patient) any { return p.NHSNumber.String() }),
			"nhsNumberVerification": field(nnString, func(p domain.Patient) any { return string(p.Verification) }),
			"givenName":             field(nnString, func(p domain.Patient) any { return p.GivenName }),
			"familyName":            field(nnString, func(p domain.Patient) any { return p.FamilyName }),
			"dateOfBirth":           field(graphql.String, func(p domain.Patient) any { return p.DateOfBirth }),
			"postcode":              field(graphql.String, func(p domain.Patient) any { return p.Postcode }),
			"gpPractice":            field(graphql.String, func(p domain.Patient) any { return p.GPPractice }),
		},
	})
}
