package app

import (
	"context"

	"carecoord/pkg/aggregate"
	"carecoord/services/referrals/domain"
	"carecoord/services/referrals/readmodel"
)

// AllocateReferral is the input of allocateReferral.
type AllocateReferral struct {
	ReferralID    string  `json:"referralId"`
	Team          string  `json:"team"`
	ClinicianID   string  `json:"clinicianId"`
	ClinicianName *string `json:"clinicianName"`
	At            *string `json:"at"`
}

// AllocateReferralHandler allocates (or reallocates) an accepted referral.
type AllocateReferralHandler struct{ d deps }

// Handle records the allocation.
func (h AllocateReferralHandler) Handle(ctx context.Context, in AllocateReferral, commandID string) (readmodel.Referral, error) {
	at, err := h.d.at("at", in.At)
	if err != nil {
		return readmodel.Referral{}, err
	}
	a := domain.Allocation{Team: in.Team, ClinicianID: in.ClinicianID, ClinicianName: in.ClinicianName}
	return h.d.change(ctx, in.ReferralID, commandID, at, func(r *domain.Referral, s domain.Step) ([]aggregate.Event, error) {
		return r.Allocate(a, s)
	})
}
