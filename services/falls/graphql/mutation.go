package graphql

import (
	"context"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"
)

// mutation is a field taking input: <inputType>! and commandId, decoding the
// input into I and running the command.
func mutation[I, O any](out graphql.Output, inputType *graphql.InputObject, desc string, run func(ctx context.Context, commandID string, in I) (O, error)) *graphql.Field {
	return &graphql.Field{
		Type:        nonNull(out),
		Description: desc,
		Args: graphql.FieldConfigArgument{
			"input":     {Type: graphql.NewNonNull(inputType)},
			"commandId": gql.CommandID,
		},
		Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) {
			in, err := gql.Decode[I](p, "input")
			if err != nil {
				return nil, err
			}
			commandID, _ := p.Args["commandId"].(string)
			return run(p.Context, commandID, in)
		}),
	}
}

func (t *types) mutationFields() graphql.Fields {
	c := t.app.Commands
	f := t.fallIncident
	return graphql.Fields{
		"reportFall":         mutation(f, reportFallIn, "Open an incident for a fall alert.", c.ReportFall),
		"linkFallPatient":    mutation(f, linkPatientIn, "Identify the patient of an incident.", c.LinkFallPatient),
		"triageFall":         mutation(f, triageIn, "Record the ISTUMBLE answers: injury or any red flag → must escalate to 999; minor injury → level 2; uninjured → level 1.", c.TriageFall),
		"escalateFallTo999":  mutation(f, escalateIn, "Hand the incident to the ambulance service (line kept open); a unit on its way is stood down.", c.EscalateFallTo999),
		"dispatchResponder":  mutation(f, dispatchIn, "Send an available unit to a queued incident; a level 2 incident needs a level 2 unit.", c.DispatchResponder),
		"cancelFallDispatch": mutation(f, cancelDispatchIn, "Stand the unit down before it arrives; the incident is queued again.", c.CancelDispatch),
		"responderEnRoute":   mutation(f, enRouteIn, "The unit is on its way.", c.ResponderEnRoute),
		"responderOnScene":   mutation(f, onSceneIn, "The unit is with the patient (and, if given, has lifted them).", c.ResponderOnScene),
		"recordFallLift":     mutation(f, liftIn, "The patient is off the floor: the clock stops.", c.RecordLift),
		"recordFallOutcome":  mutation(f, outcomeIn, "How the response ended; the unit is freed.", c.RecordFallOutcome),
		"closeFall":          mutation(f, closeIn, "Close the incident.", c.CloseFall),
		"setResponderStatus": mutation(t.responder, setStatusIn, "Book a unit on (AVAILABLE) or off (OFF_DUTY) shift.", c.SetResponderStatus),
	}
}
