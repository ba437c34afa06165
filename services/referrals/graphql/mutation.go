package graphql

import (
	"context"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
	"carecoord/services/referrals/readmodel"
)

// mutation is a mutation field taking input: Input! and commandId, returning
// the changed Referral.
func mutation[In any](r *resolver, description string, input *graphql.InputObject, handle func(context.Context, In, string) (readmodel.Referral, error)) *graphql.Field {
	return &graphql.Field{
		Type:        graphql.NewNonNull(r.t.referral),
		Description: description,
		Args: graphql.FieldConfigArgument{
			"input":     {Type: graphql.NewNonNull(input)},
			"commandId": gql.CommandID,
		},
		Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
			in, err := gql.Decode[In](p, "input")
			if err != nil {
				return nil, err
			}
			return handle(p.Context, in, commandID(p))
		}),
	}
}

func inputFields(fields map[string]graphql.Input) graphql.InputObjectConfigFieldMap {
	m := graphql.InputObjectConfigFieldMap{}
	for k, t := range fields {
		m[k] = &graphql.InputObjectFieldConfig{Type: t}
	}
	return m
}

func input(name, description string, fields map[string]graphql.Input) *graphql.InputObject {
	return graphql.NewInputObject(graphql.InputObjectConfig{Name: name, Description: description, Fields: inputFields(fields)})
}

// mutationFields are the service's mutations, one per workflow step.
func (r *resolver) mutationFields() graphql.Fields {
	str, nnStr, nnID := graphql.String, graphql.NewNonNull(graphql.String), graphql.NewNonNull(graphql.ID)
	c := r.app.Commands
	patient := input("ReferralPatientInput", "The referred patient. The locality follows from the registered GP practice.", map[string]graphql.Input{
		"nhsNumber":             str,
		"nhsNumberVerification": graphql.NewNonNull(r.t.verification),
		"givenName":             nnStr,
		"familyName":            nnStr,
		"dateOfBirth":           str,
		"postcode":              str,
		"gpPractice":            str,
	})
	referrer := input("ReferralReferrerInput", "Who referred: a GP referral names its practice's ODS code.", map[string]graphql.Input{
		"name":            str,
		"organisationOds": str,
		"source":          graphql.NewNonNull(r.t.source),
	})
	reason := input("ReferralReasonInput", "A SNOMED CT concept and its display term.", map[string]graphql.Input{
		"snomedCode": nnStr,
		"display":    nnStr,
	})
	receive := input("ReceiveReferralInput", "A new referral. receivedAt is when the service got it (business time). "+
		"localityId only for a patient with no practice in Staffordshire and Stoke-on-Trent.", map[string]graphql.Input{
		"patient":               graphql.NewNonNull(patient),
		"localityId":            graphql.ID,
		"referrer":              graphql.NewNonNull(referrer),
		"receivedAt":            nnStr,
		"reason":                graphql.NewNonNull(reason),
		"serviceRequested":      nnStr,
		"priority":              graphql.NewNonNull(r.t.priority),
		"ucr":                   graphql.Boolean,
		"consent":               graphql.NewNonNull(r.t.consent),
		"riskFlags":             graphql.NewList(graphql.NewNonNull(r.t.riskFlag)),
		"patientChoseLaterTime": graphql.Boolean,
		"notes":                 str,
	})
	triage := input("TriageReferralInput", "One triage decision: ACCEPT (optional priority), REJECT (reason), "+
		"REDIRECT (service, optional reason) or REQUEST_INFORMATION (information, optional requestedFrom).", map[string]graphql.Input{
		"referralId":    nnID,
		"outcome":       graphql.NewNonNull(r.t.outcome),
		"priority":      r.t.priority,
		"reason":        str,
		"service":       str,
		"information":   str,
		"requestedFrom": str,
		"at":            str,
	})
	info := input("RecordReferralInformationReceivedInput", "The information triage asked for has arrived.", map[string]graphql.Input{
		"referralId": nnID,
		"at":         str,
	})
	allocate := input("AllocateReferralInput", "Allocate (or reallocate) an accepted referral.", map[string]graphql.Input{
		"referralId":    nnID,
		"team":          nnStr,
		"clinicianId":   nnID,
		"clinicianName": str,
		"at":            str,
	})
	contact := input("RecordFirstContactInput", "The first face-to-face contact.", map[string]graphql.Input{
		"referralId": nnID,
		"at":         str,
	})
	choice := input("RecordReferralPatientChoiceInput", "The patient chose to be seen later than the service could.", map[string]graphql.Input{
		"referralId":  nnID,
		"preferredAt": str,
		"at":          str,
	})
	withdraw := input("WithdrawReferralInput", "End a referral unseen: WITHDRAWN, CANCELLED or ENTERED_IN_ERROR, with a reason.", map[string]graphql.Input{
		"referralId": nnID,
		"kind":       graphql.NewNonNull(r.t.closure),
		"reason":     nnStr,
		"at":         str,
	})
	return graphql.Fields{
		"receiveReferral":                   mutation(r, "Receive a referral.", receive, c.ReceiveReferral.Handle),
		"triageReferral":                    mutation(r, "Triage a received referral.", triage, c.TriageReferral.Handle),
		"recordReferralInformationReceived": mutation(r, "Bring a referral back to triage when requested information arrives (a UCR clock starts again from here).", info, c.RecordInformationReceived.Handle),
		"allocateReferral":                  mutation(r, "Allocate an accepted referral to a team and clinician.", allocate, c.AllocateReferral.Handle),
		"recordFirstContact":                mutation(r, "Record the first face-to-face contact (stops a UCR clock).", contact, c.RecordFirstContact.Handle),
		"recordReferralPatientChoice":       mutation(r, "Record that the patient chose a later time (leaves the UCR 2-hour measure).", choice, c.RecordPatientChoice.Handle),
		"withdrawReferral":                  mutation(r, "Withdraw, cancel or mark entered in error.", withdraw, c.WithdrawReferral.Handle),
	}
}
