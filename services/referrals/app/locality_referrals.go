package app

import (
	"context"

	"carecoord/services/referrals/domain"
	"carecoord/services/referrals/readmodel"
)

// LocalityReferralsHandler reads a locality's referral queue.
type LocalityReferralsHandler struct{ d deps }

// Handle returns the locality's referrals in the given statuses (the open
// ones when none are given): most urgent first, then longest waiting.
func (h LocalityReferralsHandler) Handle(ctx context.Context, localityID string, statuses []string) ([]readmodel.Referral, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	loc, err := h.d.localities.Must("id", localityID)
	if err != nil {
		return nil, err
	}
	if err := v.RequireLocality(string(loc)); err != nil {
		return nil, err
	}
	want := make([]domain.Status, 0, len(statuses))
	for _, s := range statuses {
		st, err := domain.ParseStatus("status", s)
		if err != nil {
			return nil, err
		}
		want = append(want, st)
	}
	rs := h.d.rm.Locality(string(loc), want)
	touch(ctx, rs...)
	return rs, nil
}
