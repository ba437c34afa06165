package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/services/falls/app"
	"carecoord/services/falls/domain"
)

// enum builds an enum whose values are their own names, so that input
// arrives in the app layer as the strings the domain parses.
func enum[T ~string](name, desc string, values []T) *graphql.Enum {
	m := graphql.EnumValueConfigMap{}
	for _, v := range values {
		m[string(v)] = &graphql.EnumValueConfig{Value: string(v)}
	}
	return graphql.NewEnum(graphql.EnumConfig{Name: name, Description: desc, Values: m})
}

var (
	alertSourceEnum = enum("FallAlertSource", "Where a fall alert came from.", domain.Sources)
	fallStatusEnum  = enum("FallStatus", "Where an incident is: ALERT_RECEIVED → TRIAGED (injury or red flags: must go to 999) → ESCALATED_999, or QUEUED → DISPATCHED → EN_ROUTE → ON_SCENE → OUTCOME_RECORDED → CLOSED.", domain.Statuses)
	redFlagEnum     = enum("FallRedFlag", "ISTUMBLE red flags: any one means 999, never a lift.", domain.RedFlags)
	injuryEnum      = enum("FallInjury", "What triage found about injury.", domain.Injuries)
	responseEnum    = enum("FallResponse", "The response triage decided: AMBULANCE_999, LEVEL_1 (lift) or LEVEL_2 (clinical, within 2 hours).",
		[]domain.Response{domain.Response999, domain.ResponseLevel1, domain.ResponseLevel2})
	levelEnum           = enum("ResponderLevel", "LEVEL_1: lifting responder. LEVEL_2: clinical Urgent Community Response (can also lift).", domain.Levels)
	outcomeEnum         = enum("FallOutcome", "How the response ended.", domain.Outcomes)
	referToEnum         = enum("FallReferTo", "A service a REFERRED outcome refers the patient to.", domain.ReferTos)
	closeReasonEnum     = enum("FallCloseReason", "Why an incident was closed.", domain.CloseReasons)
	riskEnum            = enum("FallRisk", "How the dispatcher's queue ranks an incident, highest first.", []app.Risk{app.RiskRedFlags, app.RiskUntriaged, app.RiskLevel2, app.RiskLevel1, app.RiskResponded})
	responderStatusEnum = enum("ResponderStatus", "A unit's state: dispatchers set AVAILABLE and OFF_DUTY; DISPATCHED and ON_SCENE follow from its incident.",
		[]app.ResponderStatus{app.ResponderAvailable, app.ResponderDispatched, app.ResponderOnScene, app.ResponderOffDuty})
)
