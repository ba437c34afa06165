package graphql

import "github.com/graphql-go/graphql"

// The mutations' input types. Field names are the app inputs' JSON names.

func inputFields(fields map[string]graphql.Input) graphql.InputObjectConfigFieldMap {
	out := graphql.InputObjectConfigFieldMap{}
	for name, typ := range fields {
		out[name] = &graphql.InputObjectFieldConfig{Type: typ}
	}
	return out
}

func input(name, desc string, fields map[string]graphql.Input) *graphql.InputObject {
	return graphql.NewInputObject(graphql.InputObjectConfig{Name: name, Description: desc, Fields: inputFields(fields)})
}

var (
	bedPatientInput = input("BedPatientInput", "The patient block: the NHS number is required for a bed.", map[string]graphql.Input{
		"nhsNumber": nnString, "nhsNumberVerification": graphql.String, "givenName": nnString, "familyName": nnString,
		"dateOfBirth": graphql.String, "postcode": graphql.String, "gpPractice": graphql.String,
	})
	raiseBedRequestInput = input("RaiseBedRequestInput", "locality is needed only without gpPractice; requestedAt defaults to now.", map[string]graphql.Input{
		"type": graphql.NewNonNull(bedRequestTypeEnum), "source": graphql.NewNonNull(bedRequestSourceEnum),
		"priority": graphql.NewNonNull(bedRequestPriorityEnum), "clinicalNeed": nnString,
		"patient": graphql.NewNonNull(bedPatientInput), "locality": graphql.ID, "preferredHospitalId": graphql.ID,
		"sourceRef": graphql.String, "requestedAt": graphql.String,
	})
	decideBedRequestInput = input("DecideBedRequestInput", "reason is required to decline.", map[string]graphql.Input{
		"bedRequestId": nnID, "decision": graphql.NewNonNull(bedRequestDecisionEnum), "reason": graphql.String, "decidedAt": graphql.String,
	})
	allocateBedInput     = input("AllocateBedInput", "allocatedAt defaults to now.", map[string]graphql.Input{"bedRequestId": nnID, "bedId": nnID, "allocatedAt": graphql.String})
	admitPatientInput    = input("AdmitPatientInput", "admittedAt defaults to now.", map[string]graphql.Input{"stayId": nnID, "admittedAt": graphql.String})
	transferPatientInput = input("TransferPatientInput", "transferredAt defaults to now.", map[string]graphql.Input{
		"stayId": nnID, "toBedId": nnID, "reason": graphql.NewNonNull(bedTransferReasonEnum), "transferredAt": graphql.String,
	})
	recordNoCriteriaToResideInput = input("RecordNoCriteriaToResideInput", "since defaults to the time already recorded, or now.", map[string]graphql.Input{
		"stayId": nnID, "delayReason": graphql.NewNonNull(dischargeDelayReasonEnum), "since": graphql.String,
	})
	dischargeFollowUpInput = input("DischargeFollowUpInput", "reason is required with an ICT referral.", map[string]graphql.Input{
		"ictReferral": nnBoolean, "reason": graphql.String,
	})
	dischargePatientInput = input("DischargePatientInput", "dischargedAt defaults to now.", map[string]graphql.Input{
		"stayId": nnID, "pathway": graphql.NewNonNull(dischargePathwayEnum), "destination": nnString,
		"followUp": graphql.NewNonNull(dischargeFollowUpInput), "dischargedAt": graphql.String,
	})
	markBedCleanInput = input("MarkBedCleanInput", "cleanedAt defaults to now.", map[string]graphql.Input{"bedId": nnID, "cleanedAt": graphql.String})
	closeBedInput     = input("CloseBedInput", "status defaults to CLOSED; note is operational, never patient data.", map[string]graphql.Input{
		"bedId": nnID, "status": bedClosureStatusEnum, "reason": graphql.NewNonNull(bedClosureReasonEnum), "note": graphql.String,
	})
	reopenBedInput = input("ReopenBedInput", "", map[string]graphql.Input{"bedId": nnID})
)

var cancelBedAllocationInput = input("CancelBedAllocationInput", "reason is operational (\"conveyed to ED instead\").", map[string]graphql.Input{
	"stayId": nnID, "reason": nnString,
})
