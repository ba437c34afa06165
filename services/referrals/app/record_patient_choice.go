package app

import (
	"context"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/errs"
	"carecoord/services/referrals/domain"
	"carecoord/services/referrals/readmodel"
)

// RecordPatientChoice is the input of recordReferralPatientChoice.
type RecordPatientChoice struct {
	ReferralID string `json:"referralId"`
	// PreferredAt is when the patient would like to be seen, if they said.
	PreferredAt *string `json:"preferredAt"`
	At          *string `json:"at"`
}

// RecordPatientChoiceHandler records that the patient chose a later time
// than the service offered, which takes a UCR referral out of the 2-hour
// measure.
type RecordPatientChoiceHandler struct{ d deps }

// Handle records the choice.
func (h RecordPatientChoiceHandler) Handle(ctx context.Context, in RecordPatientChoice, commandID string) (readmodel.Referral, error) {
	at, err := h.d.at("at", in.At)
	if err != nil {
		return readmodel.Referral{}, err
	}
	var preferred *time.Time
	if in.PreferredAt != nil && *in.PreferredAt != "" {
		// A preferred time is naturally in the future: no future check.
		t, err := time.Parse(time.RFC3339, *in.PreferredAt)
		if err != nil {
			return readmodel.Referral{}, errs.Invalid("preferredAt", "must be an RFC 3339 time such as 2026-11-23T09:30:00Z", "time-format")
		}
		preferred = &t
	}
	return h.d.change(ctx, in.ReferralID, commandID, at, func(r *domain.Referral, s domain.Step) ([]aggregate.Event, error) {
		return r.RecordPatientChoice(preferred, s)
	})
}
