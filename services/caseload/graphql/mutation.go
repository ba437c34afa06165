package graphql

import (
	"context"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
	"carecoord/services/caseload/app"
	"carecoord/services/caseload/readmodel"
)

// mutation is a field that decodes input into the command In, runs it with
// the commandId and returns what it changed.
func mutation[In any](t graphql.Output, in *graphql.InputObject, desc string, run func(ctx context.Context, commandID string, in In) (any, error)) *graphql.Field {
	return &graphql.Field{
		Type:        t,
		Description: desc,
		Args:        graphql.FieldConfigArgument{"input": {Type: graphql.NewNonNull(in)}, "commandId": gql.CommandID},
		Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
			cmd, err := gql.Decode[In](p, "input")
			if err != nil {
				return nil, err
			}
			return run(p.Context, str(p.Args["commandId"]), cmd)
		}),
	}
}

// episode adapts a command that returns the episode.
func episode(ep readmodel.EpisodeView, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return ep, nil
}

func visits(vs []readmodel.VisitView, ep readmodel.EpisodeView, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return visitNodes(ep, vs), nil
}

func visit(v readmodel.VisitView, ep readmodel.EpisodeView, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return visitNode{v, ep}, nil
}

func mutationFields(a *app.Application) graphql.Fields {
	c := a.Commands
	nnEpisode, nnVisit := graphql.NewNonNull(episodeType), graphql.NewNonNull(visitType)
	return graphql.Fields{
		"assignKeyworker": mutation(nnEpisode, assignKeyworkerInput, "Name the episode's keyworker and team: AWAITING_ALLOCATION → ALLOCATED, or a handover.",
			func(ctx context.Context, id string, in app.AssignKeyworker) (any, error) {
				return episode(c.AssignKeyworker.Handle(ctx, id, in))
			}),
		"scheduleVisit": mutation(list(visitType), scheduleVisitInput, "Plan a visit or a recurring series; returns the visits planned.",
			func(ctx context.Context, id string, in app.ScheduleVisit) (any, error) {
				return visits(c.ScheduleVisit.Handle(ctx, id, in))
			}),
		"recordVisitOutcome": mutation(nnVisit, recordVisitOutcomeInput, "PLANNED → COMPLETED | CANCELLED | NO_ACCESS | DECLINED.",
			func(ctx context.Context, id string, in app.RecordVisitOutcome) (any, error) {
				return visit(c.RecordVisitOutcome.Handle(ctx, id, in))
			}),
		"reassignVisits": mutation(list(visitType), reassignVisitsInput, "Move planned visits to another clinician.",
			func(ctx context.Context, id string, in app.ReassignVisits) (any, error) {
				return visits(c.ReassignVisits.Handle(ctx, id, in))
			}),
		"updateCarePlan": mutation(nnEpisode, updateCarePlanInput, "Agree a new care plan version (goals, next review date).",
			func(ctx context.Context, id string, in app.UpdateCarePlan) (any, error) {
				return episode(c.UpdateCarePlan.Handle(ctx, id, in))
			}),
		"startReview": mutation(nnEpisode, startReviewInput, "ACTIVE → UNDER_REVIEW.",
			func(ctx context.Context, id string, in app.StartReview) (any, error) {
				return episode(c.StartReview.Handle(ctx, id, in))
			}),
		"recordMdtDiscussion": mutation(nnEpisode, recordMdtDiscussionInput, "Record an MDT discussion; one that concludes a review returns the episode to ACTIVE.",
			func(ctx context.Context, id string, in app.RecordMdtDiscussion) (any, error) {
				return episode(c.RecordMdtDiscussion.Handle(ctx, id, in))
			}),
		"suspendEpisode": mutation(nnEpisode, suspendEpisodeInput, "Pause care while the patient is admitted.",
			func(ctx context.Context, id string, in app.SuspendEpisode) (any, error) {
				return episode(c.SuspendEpisode.Handle(ctx, id, in))
			}),
		"resumeEpisode": mutation(nnEpisode, resumeEpisodeInput, "Restart care after an admission, in the state it was in.",
			func(ctx context.Context, id string, in app.ResumeEpisode) (any, error) {
				return episode(c.ResumeEpisode.Handle(ctx, id, in))
			}),
		"transferEpisode": mutation(nnEpisode, transferEpisodeInput, "→ TRANSFERRED, to another locality or service.",
			func(ctx context.Context, id string, in app.TransferEpisode) (any, error) {
				return episode(c.TransferEpisode.Handle(ctx, id, in))
			}),
		"dischargeFromCaseload": mutation(nnEpisode, dischargeInput, "→ DISCHARGED with an outcome; planned visits are cancelled.",
			func(ctx context.Context, id string, in app.DischargeEpisode) (any, error) {
				return episode(c.DischargeEpisode.Handle(ctx, id, in))
			}),
		"recordDeath": mutation(nnEpisode, recordDeathInput, "→ DECEASED; planned visits are cancelled.",
			func(ctx context.Context, id string, in app.RecordDeath) (any, error) {
				return episode(c.RecordDeath.Handle(ctx, id, in))
			}),
	}
}
