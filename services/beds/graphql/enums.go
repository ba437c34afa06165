package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/services/beds/app"
	"carecoord/services/beds/domain"
	"carecoord/services/beds/readmodel"
)

// enum builds an enum whose values are the domain's typed values, so that
// resolvers return domain values as they are and inputs decode into them.
func enum[T ~string](name, desc string, values []T) *graphql.Enum {
	vals := graphql.EnumValueConfigMap{}
	for _, v := range values {
		vals[string(v)] = &graphql.EnumValueConfig{Value: v}
	}
	e := graphql.NewEnum(graphql.EnumConfig{Name: name, Description: desc, Values: vals})
	// graphql-go fills its lookup maps on first use, unguarded: fill them
	// now, before requests can race on them.
	e.Serialize(values[0])
	e.ParseValue(string(values[0]))
	return e
}

// The subgraph's enums. Built once: graphql-go wants one value per type name.
var (
	bedStatusEnum            = enum("BedStatus", "A bed's state: HL7 v2 table 0116 (Unoccupied=AVAILABLE, Occupied, Housekeeping=AWAITING_CLEAN, Closed, Contaminated, Isolated) plus RESERVED (allocated, patient not yet arrived).", domain.BedStatuses)
	bedClosureStatusEnum     = enum("BedClosureStatus", "How a bed is taken out of use.", []domain.BedStatus{domain.Closed, domain.Contaminated, domain.Isolated})
	bedClosureReasonEnum     = enum("BedClosureReason", "Why a bed is out of use.", domain.ClosureReasons)
	bedRequestStatusEnum     = enum("BedRequestStatus", "Where a bed request is.", domain.RequestStatuses)
	bedRequestTypeEnum       = enum("BedRequestType", "STEP_UP from the community (falls, UCR, ICT) or STEP_DOWN from an acute hospital.", domain.RequestTypes)
	bedRequestSourceEnum     = enum("BedRequestSource", "Who asks for the bed.", domain.RequestSources)
	bedRequestPriorityEnum   = enum("BedRequestPriority", "How soon the bed is needed.", domain.Priorities)
	bedRequestDecisionEnum   = enum("BedRequestDecision", "A bed manager's answer to a request.", []app.Decision{app.Accept, app.Decline})
	bedStayStatusEnum        = enum("BedStayStatus", "Where a stay in a community bed is.", readmodel.StayStatuses)
	bedTransferReasonEnum    = enum("BedTransferReason", "Why a patient moves bed.", domain.TransferReasons)
	dischargePathwayEnum     = enum("DischargePathway", "Discharge to Assess: P0 home, P1 home with new support, P2 bed-based rehabilitation, P3 new 24-hour care.", domain.Pathways)
	dischargeDelayReasonEnum = enum("DischargeDelayReason", "Why a patient with no criteria to reside is still in the bed.", domain.DelayReasons)
)
