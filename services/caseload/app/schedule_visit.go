package app

import (
	"context"
	"time"

	"carecoord/pkg/errs"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// ScheduleVisit plans a visit, or a recurring series (daily, weekly or
// fortnightly for a number of occurrences), each its own visit.
type ScheduleVisit struct {
	EpisodeID       string `json:"episodeId"`
	PlannedAt       string `json:"plannedAt"`
	DurationMinutes int    `json:"durationMinutes"`
	Purpose         string `json:"purpose"`
	// ClinicianID and ClinicianName name who visits; empty: the keyworker.
	ClinicianID     string          `json:"clinicianId"`
	ClinicianName   string          `json:"clinicianName"`
	Recurrence      *RecurrenceSpec `json:"recurrence"`
	ExpectedVersion *int64          `json:"expectedVersion"`
}

// RecurrenceSpec repeats a visit.
type RecurrenceSpec struct {
	Frequency   string `json:"frequency"`
	Occurrences int    `json:"occurrences"`
}

// ScheduleVisitHandler handles ScheduleVisit.
type ScheduleVisitHandler struct{ s *episodes }

// Handle plans the visits and returns them (and so their episode).
func (h ScheduleVisitHandler) Handle(ctx context.Context, commandID string, in ScheduleVisit) ([]readmodel.VisitView, readmodel.EpisodeView, error) {
	first, err := time.Parse(time.RFC3339, in.PlannedAt)
	if err != nil {
		return nil, readmodel.EpisodeView{}, errs.Invalid("plannedAt", "must be an RFC 3339 time such as 2026-11-23T09:30:00Z", "time-format")
	}
	purpose, err := domain.ParseVisitPurpose("purpose", in.Purpose)
	if err != nil {
		return nil, readmodel.EpisodeView{}, err
	}
	plan := domain.VisitPlan{FirstAt: first, DurationMinutes: in.DurationMinutes, Purpose: purpose,
		VisitID: func(i int) string { return derivedID("caseload-visit", in.EpisodeID, commandID, i) }}
	if in.ClinicianID != "" || in.ClinicianName != "" {
		c, err := domain.NewClinician("clinician", in.ClinicianID, in.ClinicianName)
		if err != nil {
			return nil, readmodel.EpisodeView{}, err
		}
		plan.Clinician = &c
	}
	if in.Recurrence != nil {
		f, err := domain.ParseFrequency("recurrence.frequency", in.Recurrence.Frequency)
		if err != nil {
			return nil, readmodel.EpisodeView{}, err
		}
		plan.Recurrence = &domain.Recurrence{Frequency: f, Occurrences: in.Recurrence.Occurrences}
		plan.SeriesID = derivedID("caseload-series", in.EpisodeID, commandID, 0)
	}
	now := h.s.now()
	var ids []string
	ep, err := h.s.step(ctx, commandID, in.EpisodeID, in.ExpectedVersion, when{"plannedAt", now}, func(e *domain.Episode) ([]domain.Event, error) {
		ids = nil // decide runs again if the first append met a concurrent change
		evs, err := e.ScheduleVisits(plan, now)
		if err == nil {
			for _, v := range evs[0].(domain.VisitsScheduled).Visits {
				ids = append(ids, v.VisitID)
			}
		}
		return evs, err
	})
	if err != nil {
		return nil, readmodel.EpisodeView{}, err
	}
	if ids == nil {
		// A repeated command: the visits are the ones it made the first
		// time, named the same way.
		for i := 0; ; i++ {
			id := derivedID("caseload-visit", in.EpisodeID, commandID, i)
			if !hasVisit(ep, id) {
				break
			}
			ids = append(ids, id)
		}
	}
	return visitsOf(ep, ids), ep, nil
}

func hasVisit(ep readmodel.EpisodeView, id string) bool {
	for _, v := range ep.Visits {
		if v.ID == id {
			return true
		}
	}
	return false
}

func visitsOf(ep readmodel.EpisodeView, ids []string) []readmodel.VisitView {
	out := []readmodel.VisitView{}
	for _, id := range ids {
		for _, v := range ep.Visits {
			if v.ID == id {
				out = append(out, v)
			}
		}
	}
	return out
}
