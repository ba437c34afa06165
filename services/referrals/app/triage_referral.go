package app

import (
	"context"

	"carecoord/pkg/aggregate"
	"carecoord/services/referrals/domain"
	"carecoord/services/referrals/readmodel"
)

// TriageReferral is the input of triageReferral: one decision with the
// fields its outcome needs.
type TriageReferral struct {
	ReferralID string `json:"referralId"`
	// Outcome is ACCEPT, REJECT, REDIRECT or REQUEST_INFORMATION.
	Outcome string `json:"outcome"`
	// Priority (ACCEPT) confirms or changes the referrer's priority.
	Priority *string `json:"priority"`
	// Reason is required to REJECT, optional to REDIRECT.
	Reason *string `json:"reason"`
	// Service is where REDIRECT sends the referral.
	Service *string `json:"service"`
	// Information (REQUEST_INFORMATION) is what is needed, RequestedFrom
	// whom.
	Information   *string `json:"information"`
	RequestedFrom *string `json:"requestedFrom"`
	// At is when triage decided; now when absent.
	At *string `json:"at"`
}

// TriageReferralHandler triages a received referral.
type TriageReferralHandler struct{ d deps }

// Handle records the triage decision.
func (h TriageReferralHandler) Handle(ctx context.Context, in TriageReferral, commandID string) (readmodel.Referral, error) {
	outcome, err := domain.ParseTriageOutcome("outcome", in.Outcome)
	if err != nil {
		return readmodel.Referral{}, err
	}
	decision := domain.TriageDecision{Outcome: outcome, Reason: in.Reason, Service: in.Service, Information: in.Information, RequestedFrom: in.RequestedFrom}
	if in.Priority != nil {
		if decision.Priority, err = domain.ParsePriority("priority", *in.Priority); err != nil {
			return readmodel.Referral{}, err
		}
	}
	at, err := h.d.at("at", in.At)
	if err != nil {
		return readmodel.Referral{}, err
	}
	return h.d.change(ctx, in.ReferralID, commandID, at, func(r *domain.Referral, s domain.Step) ([]aggregate.Event, error) {
		return r.Triage(decision, s)
	})
}
