package app

import (
	"context"

	"carecoord/pkg/aggregate"
	"carecoord/services/referrals/domain"
	"carecoord/services/referrals/readmodel"
)

// RecordInformationReceived is the input of recordReferralInformationReceived.
type RecordInformationReceived struct {
	ReferralID string `json:"referralId"`
	// At is when the information arrived (a UCR clock starts from it); now
	// when absent.
	At *string `json:"at"`
}

// RecordInformationReceivedHandler brings a referral back to triage when
// the information triage asked for arrives.
type RecordInformationReceivedHandler struct{ d deps }

// Handle records the arrival.
func (h RecordInformationReceivedHandler) Handle(ctx context.Context, in RecordInformationReceived, commandID string) (readmodel.Referral, error) {
	at, err := h.d.at("at", in.At)
	if err != nil {
		return readmodel.Referral{}, err
	}
	return h.d.change(ctx, in.ReferralID, commandID, at, func(r *domain.Referral, s domain.Step) ([]aggregate.Event, error) {
		return r.RecordInformationReceived(s)
	})
}
