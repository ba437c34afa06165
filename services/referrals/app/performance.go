package app

import (
	"context"

	"carecoord/services/referrals/readmodel"
)

// PerformanceHandler reads the UCR 2-hour measure, referral counts and the
// waiting list of a locality or of the whole system.
type PerformanceHandler struct{ d deps }

// Handle returns a locality's figures, or the system's when localityID is
// empty. The counts hold no patient data, so any clinician may see the
// system's; the list of at-risk referrals keeps only those they may see.
func (h PerformanceHandler) Handle(ctx context.Context, localityID string) (Performance, error) {
	v, err := viewer(ctx)
	if err != nil {
		return Performance{}, err
	}
	if localityID != "" {
		loc, err := h.d.localities.Must("localityId", localityID)
		if err != nil {
			return Performance{}, err
		}
		if err := v.RequireLocality(string(loc)); err != nil {
			return Performance{}, err
		}
	}
	p := Performance{Performance: h.d.rm.Performance(localityID, h.d.now())}
	for _, id := range p.UCRAtRiskIDs {
		if r, ok := h.d.rm.Get(id); ok && v.Reaches(r.Locality) {
			p.AtRiskReferrals = append(p.AtRiskReferrals, r)
		}
	}
	touch(ctx, p.AtRiskReferrals...)
	return p, nil
}

// Performance is a locality's (or the system's) figures, with the at-risk
// referrals the viewer may see.
type Performance struct {
	readmodel.Performance
	AtRiskReferrals []readmodel.Referral
}
