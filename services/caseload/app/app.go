// Package app is caseload's application layer: one file per command or
// query. A command authorises the viewer, turns input into domain values,
// runs the episode's decision through the repository (nothing is written
// when it fails) and waits briefly for the read model so the caller reads
// its own write. A query reads the read model and checks the viewer's reach
// again, whatever path it was asked by.
//
// It imports the domain and readmodel (for view types), pkg/aggregate,
// pkg/auth, pkg/errs, pkg/eventstore, pkg/locality and pkg/nhsnumber.
package app

import (
	"context"
	"time"

	"carecoord/pkg/aggregate"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/locality"
	"carecoord/services/caseload/domain"
	"carecoord/services/caseload/readmodel"
)

// ReadModel is what the commands and queries read.
type ReadModel interface {
	WaitFor(ctx context.Context, pos eventstore.Position) error
	WaitForEpisode(ctx context.Context, id string, revision int64) error
	Episode(id string, now time.Time) (readmodel.EpisodeView, bool)
	LocalityOf(id string) (string, bool)
	PatientEpisodes(nhs string, visible func(string) bool, now time.Time) []readmodel.EpisodeView
	OpenEpisodesOf(nhs string) []readmodel.OpenEpisode
	LocalityEpisodes(loc string, statuses []string, now time.Time) []readmodel.EpisodeView
	VisitList(clinicianID string, day domain.Date, visible func(string) bool, now time.Time) []readmodel.VisitListItem
	KeyworkerCaseload(loc string, now time.Time) []readmodel.KeyworkerLoad
	Summary(loc string, now time.Time) readmodel.LocalitySummary
	Timeline(nhs string, visible func(string) bool) []readmodel.HistoryEntry
}

// Application is what the ports (GraphQL, reactions, seed) call.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands change episodes.
type Commands struct {
	OpenEpisode            OpenEpisodeHandler
	OpenTransferredEpisode OpenTransferredEpisodeHandler
	AssignKeyworker        AssignKeyworkerHandler
	ScheduleVisit          ScheduleVisitHandler
	RecordVisitOutcome     RecordVisitOutcomeHandler
	ReassignVisits         ReassignVisitsHandler
	UpdateCarePlan         UpdateCarePlanHandler
	StartReview            StartReviewHandler
	RecordMdtDiscussion    RecordMdtDiscussionHandler
	SuspendEpisode         SuspendEpisodeHandler
	ResumeEpisode          ResumeEpisodeHandler
	TransferEpisode        TransferEpisodeHandler
	DischargeEpisode       DischargeEpisodeHandler
	RecordDeath            RecordDeathHandler
}

// Queries read the caseload.
type Queries struct {
	Episode           EpisodeHandler
	LocalityCaseload  LocalityCaseloadHandler
	PatientEpisodes   PatientEpisodesHandler
	OpenEpisodesOf    OpenEpisodesOfHandler
	VisitList         VisitListHandler
	KeyworkerCaseload KeyworkerCaseloadHandler
	LocalitySummary   LocalitySummaryHandler
	Timeline          TimelineHandler
}

// New wires the application over a store and the read model. now is the
// clock (nil: time.Now).
func New(store eventstore.Store, rm ReadModel, reg *locality.Registry, now func() time.Time) *Application {
	if now == nil {
		now = time.Now
	}
	eps := &episodes{
		repo: aggregate.NewRepository(store, domain.Types, domain.Category, domain.NewEpisode),
		rm:   rm, reg: reg, now: func() time.Time { return now().UTC() },
	}
	q := queries{rm: rm, reg: reg, now: eps.now}
	return &Application{
		Commands: Commands{
			OpenEpisode:            OpenEpisodeHandler{eps},
			OpenTransferredEpisode: OpenTransferredEpisodeHandler{eps},
			AssignKeyworker:        AssignKeyworkerHandler{eps},
			ScheduleVisit:          ScheduleVisitHandler{eps},
			RecordVisitOutcome:     RecordVisitOutcomeHandler{eps},
			ReassignVisits:         ReassignVisitsHandler{eps},
			UpdateCarePlan:         UpdateCarePlanHandler{eps},
			StartReview:            StartReviewHandler{eps},
			RecordMdtDiscussion:    RecordMdtDiscussionHandler{eps},
			SuspendEpisode:         SuspendEpisodeHandler{eps},
			ResumeEpisode:          ResumeEpisodeHandler{eps},
			TransferEpisode:        TransferEpisodeHandler{eps},
			DischargeEpisode:       DischargeEpisodeHandler{eps},
			RecordDeath:            RecordDeathHandler{eps},
		},
		Queries: Queries{
			Episode:           EpisodeHandler{q},
			LocalityCaseload:  LocalityCaseloadHandler{q},
			PatientEpisodes:   PatientEpisodesHandler{q},
			OpenEpisodesOf:    OpenEpisodesOfHandler{q},
			VisitList:         VisitListHandler{q},
			KeyworkerCaseload: KeyworkerCaseloadHandler{q},
			LocalitySummary:   LocalitySummaryHandler{q},
			Timeline:          TimelineHandler{q},
		},
	}
}

// EpisodeIDForReferral is the episode an accepted referral opens: the same
// referral always addresses the same episode, however often its acceptance
// is delivered.
func EpisodeIDForReferral(referralID string) string {
	return aggregate.DeterministicID("caseload-episode", "referral:"+referralID)
}

// EpisodeIDForTransfer is the episode a transfer to another locality opens
// there.
func EpisodeIDForTransfer(fromEpisodeID string) string {
	return aggregate.DeterministicID("caseload-episode", "transfer:"+fromEpisodeID)
}
