package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/services/caseload/domain"
)

var clinicianType = graphql.NewObject(graphql.ObjectConfig{
	Name:        "CaseloadClinician",
	Description: "A member of an integrated care team: keyworker or visiting clinician.",
	Fields: graphql.Fields{
		"id":   get(nnID, "The clinician's user ID.", func(c domain.Clinician) any { return c.ID }),
		"name": get(nnString, "", func(c domain.Clinician) any { return c.Name }),
	},
})
