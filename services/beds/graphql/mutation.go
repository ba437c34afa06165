package graphql

import (
	"github.com/graphql-go/graphql"

	"carecoord/pkg/gql"

	"carecoord/services/beds/app"
)

// mutation is one mutation: input: <Name>Input!, commandId: String.
func mutation(input *graphql.InputObject, out graphql.Output, desc string, run func(p graphql.ResolveParams, commandID string) (any, error)) *graphql.Field {
	return &graphql.Field{
		Type:        out,
		Description: desc,
		Args: graphql.FieldConfigArgument{
			"input":     &graphql.ArgumentConfig{Type: graphql.NewNonNull(input)},
			"commandId": gql.CommandID,
		},
		Resolve: gql.Resolver(func(p graphql.ResolveParams) (any, error) { return run(p, str(p.Args["commandId"])) }),
	}
}

// decode reads the input argument into a command's input, with its commandId.
func decode[T any](p graphql.ResolveParams, commandID string, set func(*T, string)) (T, error) {
	in, err := gql.Decode[T](p, "input")
	if err != nil {
		return in, err
	}
	set(&in, commandID)
	return in, nil
}

// mutationFields are the subgraph's mutations, one per step of the bed
// workflow.
func mutationFields(t *types) graphql.Fields {
	c := t.app.Commands
	stay := graphql.NewNonNull(t.bedStay)
	bed := graphql.NewNonNull(t.bed)
	request := graphql.NewNonNull(t.bedRequest)
	return graphql.Fields{
		"raiseBedRequest": mutation(raiseBedRequestInput, request, "Ask for a community bed (step-up or step-down).", func(p graphql.ResolveParams, id string) (any, error) {
			in, err := decode(p, id, func(i *app.RaiseBedRequestInput, id string) { i.CommandID = id })
			if err != nil {
				return nil, err
			}
			return c.RaiseBedRequest(p.Context, in)
		}),
		"decideBedRequest": mutation(decideBedRequestInput, request, "Accept or decline a bed request.", func(p graphql.ResolveParams, id string) (any, error) {
			in, err := decode(p, id, func(i *app.DecideBedRequestInput, id string) { i.CommandID = id })
			if err != nil {
				return nil, err
			}
			return c.DecideBedRequest(p.Context, in)
		}),
		"allocateBed": mutation(allocateBedInput, stay, "Reserve a bed for an accepted request; opens the patient's stay. Of two allocations of one bed at once, one wins; the other gets CONFLICT or BAD_USER_INPUT naming the bed's state.", func(p graphql.ResolveParams, id string) (any, error) {
			in, err := decode(p, id, func(i *app.AllocateBedInput, id string) { i.CommandID = id })
			if err != nil {
				return nil, err
			}
			return c.AllocateBed(p.Context, in)
		}),
		"cancelBedAllocation": mutation(cancelBedAllocationInput, stay, "Give up a reserved bed before the patient arrives; the request waits for a bed again.", func(p graphql.ResolveParams, id string) (any, error) {
			in, err := decode(p, id, func(i *app.CancelBedAllocationInput, id string) { i.CommandID = id })
			if err != nil {
				return nil, err
			}
			return c.CancelBedAllocation(p.Context, in)
		}),
		"admitPatient": mutation(admitPatientInput, stay, "Record the patient's arrival in the reserved bed.", func(p graphql.ResolveParams, id string) (any, error) {
			in, err := decode(p, id, func(i *app.AdmitPatientInput, id string) { i.CommandID = id })
			if err != nil {
				return nil, err
			}
			return c.AdmitPatient(p.Context, in)
		}),
		"transferPatient": mutation(transferPatientInput, stay, "Move an admitted patient to another bed, ward or hospital.", func(p graphql.ResolveParams, id string) (any, error) {
			in, err := decode(p, id, func(i *app.TransferPatientInput, id string) { i.CommandID = id })
			if err != nil {
				return nil, err
			}
			return c.TransferPatient(p.Context, in)
		}),
		"recordNoCriteriaToReside": mutation(recordNoCriteriaToResideInput, stay, "Record that an admitted patient no longer meets the criteria to reside, with the delay reason.", func(p graphql.ResolveParams, id string) (any, error) {
			in, err := decode(p, id, func(i *app.RecordNoCriteriaToResideInput, id string) { i.CommandID = id })
			if err != nil {
				return nil, err
			}
			return c.RecordNoCriteriaToReside(p.Context, in)
		}),
		"dischargePatient": mutation(dischargePatientInput, stay, "Discharge an admitted patient on a Discharge to Assess pathway; the bed then awaits cleaning.", func(p graphql.ResolveParams, id string) (any, error) {
			in, err := decode(p, id, func(i *app.DischargePatientInput, id string) { i.CommandID = id })
			if err != nil {
				return nil, err
			}
			return c.DischargePatient(p.Context, in)
		}),
		"markBedClean": mutation(markBedCleanInput, bed, "Record housekeeping's clean of a bed awaiting clean or contaminated.", func(p graphql.ResolveParams, id string) (any, error) {
			in, err := decode(p, id, func(i *app.MarkBedCleanInput, id string) { i.CommandID = id })
			if err != nil {
				return nil, err
			}
			return c.MarkBedClean(p.Context, in)
		}),
		"closeBed": mutation(closeBedInput, bed, "Take an empty bed out of use.", func(p graphql.ResolveParams, id string) (any, error) {
			in, err := decode(p, id, func(i *app.CloseBedInput, id string) { i.CommandID = id })
			if err != nil {
				return nil, err
			}
			return c.CloseBed(p.Context, in)
		}),
		"reopenBed": mutation(reopenBedInput, bed, "Return a closed or isolated bed to use.", func(p graphql.ResolveParams, id string) (any, error) {
			in, err := decode(p, id, func(i *app.ReopenBedInput, id string) { i.CommandID = id })
			if err != nil {
				return nil, err
			}
			return c.ReopenBed(p.Context, in)
		}),
	}
}
