package app

import (
	"context"
	"time"

	"carecoord/services/falls/domain"
	"carecoord/services/falls/readmodel"
)

// OpenFalls is a locality's open incidents (by the patient's locality), in
// queue order.
func (q Queries) OpenFalls(ctx context.Context, localityID string) ([]FallView, error) {
	v, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if err := v.RequireLocality(localityID); err != nil {
		return nil, err
	}
	out := q.c.open(v, func(i *readmodel.Incident) bool { return i.Locality == localityID })
	sortQueue(out)
	touch(ctx, out...)
	return out, nil
}

// LocalitySummary is the falls figures of a locality.
type LocalitySummary struct {
	LocalityID string
	// OpenFalls counts incidents not yet closed.
	OpenFalls int
	// OnFloorOverOneHour counts open incidents with a lie over an hour.
	OnFloorOverOneHour int
	// AwaitingResponder counts open incidents not yet answered: awaiting
	// triage, awaiting 999 escalation, or queued for a unit.
	AwaitingResponder int
	// Last30Days counts incidents alerted in the last 30 days, and
	// LiftedWithinOneHour how many of those that had a lift had it within
	// the hour; LiftedWithinOneHourPercent is nil when none was lifted.
	Last30Days                 int
	LiftedWithinOneHourPercent *float64
}

// SummaryWindow is the period of the locality summary's rates.
const SummaryWindow = 30 * 24 * time.Hour

// LocalitySummary counts a locality's falls.
func (q Queries) LocalitySummary(ctx context.Context, localityID string) (LocalitySummary, error) {
	v, err := reader(ctx)
	if err != nil {
		return LocalitySummary{}, err
	}
	if err := v.RequireLocality(localityID); err != nil {
		return LocalitySummary{}, err
	}
	now := q.c.now()
	s := LocalitySummary{LocalityID: localityID}
	lifted, within := 0, 0
	for _, i := range q.c.Board.Incidents(func(i *readmodel.Incident) bool { return i.Locality == localityID }) {
		f := newFallView(i, now)
		if i.Status.Open() {
			s.OpenFalls++
			if f.OverOneHour {
				s.OnFloorOverOneHour++
			}
			switch i.Status {
			case domain.StatusAlertReceived, domain.StatusTriaged, domain.StatusQueued:
				s.AwaitingResponder++
			}
		}
		if now.Sub(i.AlertedAt) <= SummaryWindow && i.CloseReason != domain.CloseDuplicate && i.CloseReason != domain.CloseNoFall {
			s.Last30Days++
			if !i.LiftedAt.IsZero() {
				lifted++
				if !f.OverOneHour {
					within++
				}
			}
		}
	}
	if lifted > 0 {
		p := float64(within) * 100 / float64(lifted)
		s.LiftedWithinOneHourPercent = &p
	}
	return s, nil
}
