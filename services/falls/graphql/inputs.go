package graphql

import "github.com/graphql-go/graphql"

// The mutations' input types. Field names match the app layer's input
// structs' JSON names, which gql.Decode relies on.

func input(name, desc string, fields graphql.InputObjectConfigFieldMap) *graphql.InputObject {
	return graphql.NewInputObject(graphql.InputObjectConfig{Name: name, Description: desc, Fields: fields})
}

func in(t graphql.Input, desc string) *graphql.InputObjectFieldConfig {
	return &graphql.InputObjectFieldConfig{Type: t, Description: desc}
}

var (
	reqID     = graphql.NewNonNull(graphql.ID)
	timeDesc  = "RFC 3339; empty is now. Crews report times after the fact."
	addressIn = input("FallAddressInput", "Where the patient is.", graphql.InputObjectConfigFieldMap{
		"text":     in(graphql.NewNonNull(graphql.String), "As the caller gave it."),
		"postcode": in(graphql.String, ""),
	})
	patientIn = input("FallPatientInput", "The patient as far as known; every field may be left out.", graphql.InputObjectConfigFieldMap{
		"nhsNumber":             in(graphql.String, "10 digits; leave out when unknown."),
		"nhsNumberVerification": in(graphql.String, "VERIFIED, UNVERIFIED, TRACE_REQUIRED, TRACE_NO_MATCH or NOT_KNOWN (default: UNVERIFIED with a number, NOT_KNOWN without)."),
		"givenName":             in(graphql.String, ""),
		"familyName":            in(graphql.String, ""),
		"dateOfBirth":           in(graphql.String, "YYYY-MM-DD."),
		"postcode":              in(graphql.String, "The patient's home postcode."),
		"gpPractice":            in(graphql.String, "ODS code of the registered practice: decides the patient's locality."),
	})

	reportFallIn = input("ReportFallInput", "A fall alert.", graphql.InputObjectConfigFieldMap{
		"source":          in(graphql.NewNonNull(alertSourceEnum), ""),
		"alertedAt":       in(graphql.String, "When the alert came in. "+timeDesc),
		"estimatedFallAt": in(graphql.String, "When the patient fell, if anyone knows; time on the floor counts from it."),
		"address":         in(graphql.NewNonNull(addressIn), ""),
		"localityId":      in(graphql.NewNonNull(graphql.ID), "The locality the patient lies in; also the patient's locality unless their GP practice says otherwise."),
		"patient":         in(patientIn, ""),
	})
	linkPatientIn = input("LinkFallPatientInput", "Who the patient is.", graphql.InputObjectConfigFieldMap{
		"incidentId": in(reqID, ""),
		"patient":    in(graphql.NewNonNull(patientIn), ""),
	})
	triageIn = input("TriageFallInput", "The ISTUMBLE answers; they decide the response.", graphql.InputObjectConfigFieldMap{
		"incidentId": in(reqID, ""),
		"redFlags":   in(graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(redFlagEnum))), "Every red flag found; empty when none."),
		"injury":     in(graphql.NewNonNull(injuryEnum), ""),
		"notes":      in(graphql.String, ""),
		"triagedAt":  in(graphql.String, timeDesc),
	})
	escalateIn = input("EscalateFallTo999Input", "Hand the incident to the ambulance service.", graphql.InputObjectConfigFieldMap{
		"incidentId":         in(reqID, ""),
		"reason":             in(graphql.String, ""),
		"ambulanceReference": in(graphql.String, "The ambulance service's incident number."),
		"escalatedAt":        in(graphql.String, timeDesc),
	})
	dispatchIn = input("DispatchResponderInput", "Send a unit.", graphql.InputObjectConfigFieldMap{
		"incidentId":   in(reqID, ""),
		"responderId":  in(reqID, ""),
		"dispatchedAt": in(graphql.String, timeDesc),
	})
	cancelDispatchIn = input("CancelFallDispatchInput", "Stand the unit down before it arrives.", graphql.InputObjectConfigFieldMap{
		"incidentId":  in(reqID, ""),
		"reason":      in(graphql.String, ""),
		"cancelledAt": in(graphql.String, timeDesc),
	})
	enRouteIn = input("ResponderEnRouteInput", "", graphql.InputObjectConfigFieldMap{
		"incidentId": in(reqID, ""),
		"enRouteAt":  in(graphql.String, timeDesc),
	})
	onSceneIn = input("ResponderOnSceneInput", "", graphql.InputObjectConfigFieldMap{
		"incidentId": in(reqID, ""),
		"arrivedAt":  in(graphql.String, timeDesc),
		"liftedAt":   in(graphql.String, "When the patient was lifted, if already."),
	})
	liftIn = input("RecordFallLiftInput", "The lift: the time-on-the-floor clock stops.", graphql.InputObjectConfigFieldMap{
		"incidentId": in(reqID, ""),
		"liftedAt":   in(graphql.String, timeDesc),
		"equipment":  in(graphql.String, "Lifting equipment used."),
	})
	outcomeIn = input("RecordFallOutcomeInput", "How the response ended.", graphql.InputObjectConfigFieldMap{
		"incidentId":   in(reqID, ""),
		"outcome":      in(graphql.NewNonNull(outcomeEnum), "REFERRED and STEP_UP_BED need the patient's NHS number linked first."),
		"referTo":      in(graphql.NewList(graphql.NewNonNull(referToEnum)), "Only for REFERRED, and required then."),
		"clinicalNeed": in(graphql.String, "A short phrase for the receiving service; required for STEP_UP_BED."),
		"recordedAt":   in(graphql.String, timeDesc),
	})
	closeIn = input("CloseFallInput", "", graphql.InputObjectConfigFieldMap{
		"incidentId": in(reqID, ""),
		"reason":     in(closeReasonEnum, "COMPLETED (default) once the outcome is recorded; DUPLICATE_ALERT or NO_FALL before any unit is sent."),
		"closedAt":   in(graphql.String, timeDesc),
	})
	setStatusIn = input("SetResponderStatusInput", "Book a unit on or off shift.", graphql.InputObjectConfigFieldMap{
		"responderId": in(reqID, ""),
		"status":      in(graphql.NewNonNull(responderStatusEnum), "AVAILABLE or OFF_DUTY."),
	})
)
