package app

import (
	"context"

	"carecoord/pkg/aggregate"
	"carecoord/services/referrals/domain"
	"carecoord/services/referrals/readmodel"
)

// RecordFirstContact is the input of recordFirstContact.
type RecordFirstContact struct {
	ReferralID string `json:"referralId"`
	// At is when the patient was first seen face to face (the UCR clock
	// stops here); now when absent.
	At *string `json:"at"`
}

// RecordFirstContactHandler records the first face-to-face contact.
type RecordFirstContactHandler struct{ d deps }

// Handle records the contact.
func (h RecordFirstContactHandler) Handle(ctx context.Context, in RecordFirstContact, commandID string) (readmodel.Referral, error) {
	at, err := h.d.at("at", in.At)
	if err != nil {
		return readmodel.Referral{}, err
	}
	return h.d.change(ctx, in.ReferralID, commandID, at, func(r *domain.Referral, s domain.Step) ([]aggregate.Event, error) {
		return r.RecordFirstContact(s)
	})
}
