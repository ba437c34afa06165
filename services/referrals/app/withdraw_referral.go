package app

import (
	"context"

	"carecoord/pkg/aggregate"
	"carecoord/services/referrals/domain"
	"carecoord/services/referrals/readmodel"
)

// WithdrawReferral is the input of withdrawReferral.
type WithdrawReferral struct {
	ReferralID string `json:"referralId"`
	// Kind is WITHDRAWN (by the referrer or patient), CANCELLED (by the
	// service) or ENTERED_IN_ERROR.
	Kind   string  `json:"kind"`
	Reason string  `json:"reason"`
	At     *string `json:"at"`
}

// WithdrawReferralHandler closes a referral unseen.
type WithdrawReferralHandler struct{ d deps }

// Handle records the closure.
func (h WithdrawReferralHandler) Handle(ctx context.Context, in WithdrawReferral, commandID string) (readmodel.Referral, error) {
	kind, err := domain.ParseClosure("kind", in.Kind)
	if err != nil {
		return readmodel.Referral{}, err
	}
	at, err := h.d.at("at", in.At)
	if err != nil {
		return readmodel.Referral{}, err
	}
	return h.d.change(ctx, in.ReferralID, commandID, at, func(r *domain.Referral, s domain.Step) ([]aggregate.Event, error) {
		return r.Close(kind, in.Reason, s)
	})
}
