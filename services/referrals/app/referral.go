package app

import (
	"context"

	"carecoord/pkg/errs"
	"carecoord/services/referrals/readmodel"
)

// ReferralHandler reads one referral with its history.
type ReferralHandler struct{ d deps }

// Handle returns the referral. One outside the viewer's localities is not
// found, unless they broke glass (one record, read by ID: auth.Opens): its
// existence is itself information about a patient.
func (h ReferralHandler) Handle(ctx context.Context, id string) (readmodel.Referral, error) {
	v, err := viewer(ctx)
	if err != nil {
		return readmodel.Referral{}, err
	}
	r, ok := h.d.rm.Get(id)
	if !ok || !v.Opens(r.Locality) {
		return readmodel.Referral{}, errs.NotFound("there is no such referral, or it is outside your localities", "referral-not-found")
	}
	touch(ctx, r)
	return r, nil
}
