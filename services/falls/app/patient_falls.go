package app

import (
	"context"
	"sort"
	"time"

	"carecoord/pkg/audit"
	"carecoord/pkg/nhsnumber"
	"carecoord/services/falls/readmodel"
)

// PatientFalls is a patient's incidents, the latest first, as far as the
// viewer may open them: an incident is filed under the patient's locality
// at the time, and a clinician sees only their localities' (any, with
// break-glass: this is one patient's record).
func (q Queries) PatientFalls(ctx context.Context, nhsNumber string) ([]FallView, error) {
	incs, err := q.c.patientIncidents(ctx, nhsNumber)
	if err != nil {
		return nil, err
	}
	now := q.c.now()
	out := make([]FallView, len(incs))
	for i, inc := range incs {
		out[i] = newFallView(inc, now)
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].AlertedAt.Equal(out[b].AlertedAt) {
			return out[a].AlertedAt.After(out[b].AlertedAt)
		}
		return out[a].ID < out[b].ID
	})
	touch(ctx, out...)
	return out, nil
}

// TimelineEntry is one falls step in a patient's timeline.
type TimelineEntry struct {
	At      time.Time
	Type    string
	Summary string
	// RefID is the incident's ID.
	RefID string
	seq   uint64
}

// PatientTimeline is the falls steps of a patient's incidents, in time
// order (ties in log order); the same reach as PatientFalls.
func (q Queries) PatientTimeline(ctx context.Context, nhsNumber string) ([]TimelineEntry, error) {
	incs, err := q.c.patientIncidents(ctx, nhsNumber)
	if err != nil {
		return nil, err
	}
	out := []TimelineEntry{}
	for _, inc := range incs {
		for _, e := range inc.Timeline {
			out = append(out, TimelineEntry{At: e.At, Type: e.Type, Summary: e.Summary, RefID: inc.ID, seq: e.Seq()})
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].At.Equal(out[b].At) {
			return out[a].At.Before(out[b].At)
		}
		return out[a].seq < out[b].seq
	})
	for _, inc := range incs {
		audit.Touch(ctx, inc.Patient.NHSNumber.String())
	}
	return out, nil
}

func (c *core) patientIncidents(ctx context.Context, nhs string) ([]readmodel.Incident, error) {
	v, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	n, err := nhsnumber.Parse(nhs)
	if err != nil {
		return nil, err
	}
	return c.Board.Incidents(func(i *readmodel.Incident) bool {
		return i.Patient.NHSNumber == n && v.Opens(i.Locality)
	}), nil
}
