package graphqlapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"

	"carecoord/pkg/auth"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/gql"
	"carecoord/pkg/supergraph"
)

// fallIncidentPrefix starts the name of every falls incident's stream; the
// rest is the incident's id.
const fallIncidentPrefix = "fallincident-"

// fallsQueueChanged is the Subscribe resolver of
// Subscription.fallsQueueChanged: from the store's current end, each event
// of a falls incident's stream is answered with the incident as the
// subscriber sees it now, fetched through the supergraph with the
// subscriber's context (the falls service checks reach). An incident the
// subscriber may not see (or that cannot be read) is left out.
func fallsQueueChanged(store eventstore.Store, sg func() *supergraph.Supergraph) graphql.FieldResolveFn {
	return subscribeErrors(func(p graphql.ResolveParams) (any, error) {
		ctx := p.Context
		if _, err := auth.RequireRole(ctx, auth.FallsDispatcher, auth.Admin); err != nil {
			return nil, err
		}
		if store == nil || sg() == nil {
			return nil, fmt.Errorf("subscriptions are not available")
		}
		after := eventstore.Start
		last, err := store.ReadAll(ctx, eventstore.End, eventstore.Backwards, 1)
		if err != nil {
			return nil, err
		}
		if len(last) > 0 {
			after = last[0].Position
		}
		sub, err := store.Subscribe(ctx, eventstore.SubscribeOptions{
			After:  after,
			Filter: eventstore.Filter{StreamPrefixes: []string{fallIncidentPrefix}},
		})
		if err != nil {
			return nil, err
		}
		out := make(chan any)
		go func() {
			defer close(out)
			defer sub.Close()
			for {
				var m eventstore.SubscriptionMessage
				var ok bool
				select {
				case <-ctx.Done():
					return
				case m, ok = <-sub.Messages():
					if !ok {
						return
					}
				}
				if m.Event == nil {
					continue
				}
				id := strings.TrimPrefix(m.Event.Stream, fallIncidentPrefix)
				incident := fetchFallIncident(ctx, sg(), p.Info, id)
				if incident == nil {
					continue
				}
				select {
				case out <- incident:
				case <-ctx.Done():
					return
				}
			}
		}()
		return out, nil
	})
}

// subscribeErrors maps a Subscribe resolver's errors like gql.Resolver,
// as a FormattedError: graphql.ExecuteSubscription keeps the extensions
// (extensions.code) of that type only.
func subscribeErrors(fn graphql.FieldResolveFn) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) {
		v, err := fn(p)
		if err == nil {
			return v, nil
		}
		mapped := gql.Error(err)
		fe := gqlerrors.FormattedError{Message: mapped.Error()}
		if x, ok := mapped.(gqlerrors.ExtendedError); ok {
			fe.Extensions = x.Extensions()
		}
		return nil, fe
	}
}

// fetchFallIncident runs `{ fallIncident(id: id) { <the subscriber's
// selection> } }` through the supergraph, with the subscription's
// fragments and variables, and returns the incident (keyed by response
// key), or nil when it is null.
func fetchFallIncident(ctx context.Context, sg *supergraph.Supergraph, info graphql.ResolveInfo, id string) map[string]any {
	var sels []ast.Selection
	for _, f := range info.FieldASTs {
		if f.SelectionSet != nil {
			sels = append(sels, f.SelectionSet.Selections...)
		}
	}
	field := ast.NewField(&ast.Field{
		Name: ast.NewName(&ast.Name{Value: "fallIncident"}),
		Arguments: []*ast.Argument{ast.NewArgument(&ast.Argument{
			Name:  ast.NewName(&ast.Name{Value: "id"}),
			Value: ast.NewStringValue(&ast.StringValue{Value: id}),
		})},
		SelectionSet: ast.NewSelectionSet(&ast.SelectionSet{Selections: sels}),
	})
	op := ast.NewOperationDefinition(&ast.OperationDefinition{
		Operation:    ast.OperationTypeQuery,
		SelectionSet: ast.NewSelectionSet(&ast.SelectionSet{Selections: []ast.Selection{field}}),
	})
	if def, ok := info.Operation.(*ast.OperationDefinition); ok {
		op.VariableDefinitions = def.VariableDefinitions
	}
	defs := []ast.Node{op}
	for _, f := range info.Fragments {
		defs = append(defs, f)
	}
	res := sg.Execute(graphql.ExecuteParams{
		AST:     ast.NewDocument(&ast.Document{Definitions: defs}),
		Args:    info.VariableValues,
		Context: ctx,
	})
	data, _ := res.Data.(map[string]any)
	incident, _ := data["fallIncident"].(map[string]any)
	return incident
}
