package graphql

import (
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"

	"carecoord/services/beds/domain"
	"carecoord/services/beds/readmodel"
)

// BedStay is a patient's stay in a community bed, from allocation to
// discharge.
func bedStayType(t *types) *graphql.Object {
	now := t.app.Queries.Now
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "BedStay",
		Description: "A patient's stay in a community bed, from allocation to discharge.",
		Fields: graphql.Fields{
			"id":           field(nnID, func(s readmodel.Stay) any { return s.ID }),
			"bedRequestId": field(nnID, func(s readmodel.Stay) any { return s.RequestID }),
			"nhsNumber":    field(nnString, func(s readmodel.Stay) any { return s.Patient.NHSNumber.String() }),
			"patient":      field(graphql.NewNonNull(t.patient), func(s readmodel.Stay) any { return s.Patient }),
			"localityId":   field(nnID, func(s readmodel.Stay) any { return s.Locality }),
			"status":       field(graphql.NewNonNull(bedStayStatusEnum), func(s readmodel.Stay) any { return s.Status }),
			"hospitalId":   field(nnID, func(s readmodel.Stay) any { return s.Bed.HospitalID }),
			"wardId":       field(nnID, func(s readmodel.Stay) any { return s.Bed.WardID }),
			"bedId":        field(nnID, func(s readmodel.Stay) any { return s.Bed.BedID }),
			"transferringToBedId": field(graphql.ID, func(s readmodel.Stay) any {
				if s.TransferringTo == nil {
					return nil
				}
				return s.TransferringTo.BedID
			}),
			"allocatedAt": timeField(true, func(s readmodel.Stay) time.Time { return s.AllocatedAt }),
			"admittedAt":  timeField(false, func(s readmodel.Stay) time.Time { return s.AdmittedAt }),
			"lengthOfStayDays": &graphql.Field{Type: graphql.Int, Description: "Whole days since admission (to discharge, once discharged).",
				Resolve: func(p graphql.ResolveParams) (any, error) {
					s := as[readmodel.Stay](p.Source)
					if s.AdmittedAt.IsZero() {
						return nil, nil
					}
					end := now()
					if !s.DischargedAt.IsZero() {
						end = s.DischargedAt
					}
					return int(end.Sub(s.AdmittedAt).Hours() / 24), nil
				}},
			"transfers":          field(listOf(t.transfer), func(s readmodel.Stay) any { return s.Transfers }),
			"noCriteriaToReside": field(t.nctr, func(s readmodel.Stay) any { return stayNCTR(s) }),
			"dischargedAt":       timeField(false, func(s readmodel.Stay) time.Time { return s.DischargedAt }),
			"pathway":            field(dischargePathwayEnum, func(s readmodel.Stay) any { return optEnum(s.Pathway) }),
			"destination":        field(graphql.String, func(s readmodel.Stay) any { return optional(s.Destination) }),
			"followUp": field(t.followUp, func(s readmodel.Stay) any {
				if s.FollowUp == nil {
					return nil
				}
				return *s.FollowUp
			}),
			"bedRequest": &graphql.Field{Type: t.bedRequest, Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
				return orNull(t.app.Queries.VisibleRequest(p.Context, as[readmodel.Stay](p.Source).RequestID))
			})},
		},
	})
}

// nctrView is a stay's delayed discharge with the stay, for daysDelayed.
type nctrView struct {
	readmodel.NCTR
	stay readmodel.Stay
}

func stayNCTR(s readmodel.Stay) any {
	if s.NCTR == nil {
		return nil
	}
	return nctrView{NCTR: *s.NCTR, stay: s}
}

// NoCriteriaToReside is a delayed discharge: the patient no longer needs
// the bed but is still in it.
func noCriteriaToResideType(t *types) *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "NoCriteriaToReside",
		Description: "A delayed discharge: the patient is medically optimised but still in the bed.",
		Fields: graphql.Fields{
			"since":       timeField(true, func(n nctrView) time.Time { return n.Since }),
			"delayReason": field(graphql.NewNonNull(dischargeDelayReasonEnum), func(n nctrView) any { return n.DelayReason }),
			"daysDelayed": &graphql.Field{Type: nnInt, Resolve: func(p graphql.ResolveParams) (any, error) {
				return as[nctrView](p.Source).stay.DaysDelayed(t.app.Queries.Now()), nil
			}},
		},
	})
}

// DischargeFollowUp is what happens after discharge.
func followUpType() *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name: "DischargeFollowUp",
		Fields: graphql.Fields{
			"ictReferral": field(nnBoolean, func(f domain.FollowUp) any { return f.ICTReferral }),
			"reason":      field(graphql.String, func(f domain.FollowUp) any { return f.Reason }),
		},
	})
}

// BedTransfer is one move of a stay.
func transferType() *graphql.Object {
	return graphql.NewObject(graphql.ObjectConfig{
		Name: "BedTransfer",
		Fields: graphql.Fields{
			"fromHospitalId": field(nnID, func(x readmodel.Transfer) any { return x.From.HospitalID }),
			"fromWardId":     field(nnID, func(x readmodel.Transfer) any { return x.From.WardID }),
			"fromBedId":      field(nnID, func(x readmodel.Transfer) any { return x.From.BedID }),
			"toHospitalId":   field(nnID, func(x readmodel.Transfer) any { return x.To.HospitalID }),
			"toWardId":       field(nnID, func(x readmodel.Transfer) any { return x.To.WardID }),
			"toBedId":        field(nnID, func(x readmodel.Transfer) any { return x.To.BedID }),
			"reason":         field(graphql.NewNonNull(bedTransferReasonEnum), func(x readmodel.Transfer) any { return x.Reason }),
			"transferredAt":  timeField(true, func(x readmodel.Transfer) time.Time { return x.TransferredAt }),
		},
	})
}
