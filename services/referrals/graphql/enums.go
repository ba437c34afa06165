package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/nhsnumber"
	"carecoord/services/referrals/domain"
)

// enum builds an enum whose values are the domain's strings; resolvers
// return plain strings (graphql-go matches enum values by ==).
func enum[T ~string](name, description string, values []T, docs map[T]string) *graphql.Enum {
	m := graphql.EnumValueConfigMap{}
	for _, v := range values {
		m[string(v)] = &graphql.EnumValueConfig{Value: string(v), Description: docs[v]}
	}
	e := graphql.NewEnum(graphql.EnumConfig{Name: name, Description: description, Values: m})
	// graphql-go builds an enum's lookup maps lazily on first use, without
	// a lock: concurrent requests race to write them. Build them now, while
	// the schema is still private to this goroutine.
	if len(values) > 0 {
		e.Serialize(string(values[0]))
		e.ParseValue(string(values[0]))
	}
	return e
}

type enums struct {
	status, priority, source, consent, riskFlag, outcome, closure, verification *graphql.Enum
}

func newEnums() enums {
	return enums{
		status: enum("ReferralStatus", "Where a referral is in its workflow.", domain.Statuses, map[domain.Status]string{
			domain.StatusReceived:             "Held by the service, awaiting triage (again, after requested information arrived).",
			domain.StatusInformationRequested: "Triage asked for more information.",
			domain.StatusWaiting:              "Accepted at triage; on the waiting list at its priority.",
			domain.StatusAllocated:            "Allocated to a team and a named clinician.",
			domain.StatusFirstContact:         "Seen face to face; complete, care continues on the caseload.",
			domain.StatusRejected:             "Rejected at triage.",
			domain.StatusRedirected:           "Redirected at triage to another service.",
			domain.StatusWithdrawn:            "Withdrawn by the referrer or the patient.",
			domain.StatusCancelled:            "Cancelled by the service.",
			domain.StatusEnteredInError:       "Should never have been recorded; left out of every count and patient view.",
		}),
		priority: enum("ReferralPriority", "The response a referral needs.", domain.Priorities, map[domain.Priority]string{
			domain.PriorityUrgent2H: "Urgent: within 2 hours (the UCR standard).",
			domain.PriorityUrgent2D: "Urgent: within 2 days.",
			domain.PriorityRoutine:  "Routine.",
		}),
		source:       enum("ReferralSource", "Who sent the referral.", domain.Sources, nil),
		consent:      enum("ReferralConsent", "The patient's consent to the referral.", domain.Consents, nil),
		riskFlag:     enum("ReferralRiskFlag", "A warning for whoever visits the patient.", domain.RiskFlags, nil),
		outcome:      enum("ReferralTriageOutcome", "What triage decided.", domain.TriageOutcomes, nil),
		closure:      enum("ReferralClosureKind", "How a referral ended unseen.", domain.Closures, nil),
		verification: enum("ReferralNhsNumberVerification", "How far the NHS number is verified (against PDS).", nhsnumber.Verifications, nil),
	}
}
