package graphqlapi

import (
	"context"
	"fmt"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"

	"carecoord/pkg/audit"
	"carecoord/pkg/auth"
	"carecoord/pkg/eventstore"
	"carecoord/pkg/gql"
	"carecoord/pkg/supergraph"
)

// A subscription is fed by the event store: from the store's end at the
// moment of subscribing, each event its filter passes is turned into zero
// or one payloads by fetching, through the supergraph and as the
// subscriber, the record the event changed. So a subscriber sees exactly
// what a query would show them, with the same reach checks in the
// services, and every payload's patient data is audited like a query's.

// liveSource is what every subscription shares.
type liveSource struct {
	store eventstore.Store
	sg    func() *supergraph.Supergraph
	// waitHandled waits until this process's read models have applied the
	// log up to a position: a payload is fetched only then, so that it
	// shows the change that caused it (nil: fetch at once).
	waitHandled func(context.Context, eventstore.Position) error
	// audit receives an entry for each payload that touched patients (nil:
	// not audited, for tests of the gateway alone).
	audit func(audit.Entry)
}

// handledWait bounds how long a payload waits for the read models; a read
// model that is further behind is stuck, and the payload is fetched as it
// stands rather than holding every later event back.
const handledWait = 2 * time.Second

// events subscribes from the store's current end and delivers, in log
// order, what payload makes of each event (nil: nothing for this
// subscriber), until ctx ends. payload runs with a context carrying the
// audit record of that one delivery. The channel is a chan any, not a
// receive-only one: graphql.ExecuteSubscription treats any other type as a
// single result.
func (l liveSource) events(ctx context.Context, field string, filter eventstore.Filter, payload func(context.Context, *eventstore.RecordedEvent) any) (chan any, error) {
	if l.store == nil || l.sg() == nil {
		return nil, fmt.Errorf("subscriptions are not available")
	}
	viewer, _ := auth.From(ctx)
	after := eventstore.Start
	last, err := l.store.ReadAll(ctx, eventstore.End, eventstore.Backwards, 1)
	if err != nil {
		return nil, err
	}
	if len(last) > 0 {
		after = last[0].Position
	}
	sub, err := l.store.Subscribe(ctx, eventstore.SubscribeOptions{After: after, Filter: filter})
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
			l.settle(ctx, m.Event.Position)
			actx, rec := audit.Begin(ctx, audit.Operation{Name: "subscription " + field, Kind: audit.Read, Endpoint: "/graphql"})
			v := payload(actx, m.Event)
			if l.audit != nil && rec.Due() {
				l.audit(rec.Entry(viewer, time.Now()))
			}
			if v == nil {
				continue
			}
			select {
			case out <- v:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (l liveSource) settle(ctx context.Context, pos eventstore.Position) {
	if l.waitHandled == nil {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, handledWait)
	defer cancel()
	_ = l.waitHandled(wctx, pos) // past the wait, the payload is fetched as it stands
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

// fetchOne runs `{ <root>(id: id) { sels } }` through the supergraph with
// the subscription's fragments and variables, and returns the object
// (keyed by response key), or nil when it is null.
func fetchOne(ctx context.Context, sg *supergraph.Supergraph, info graphql.ResolveInfo, root, id string, sels []ast.Selection) map[string]any {
	field := ast.NewField(&ast.Field{
		Name: ast.NewName(&ast.Name{Value: root}),
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
	obj, _ := data[root].(map[string]any)
	return obj
}

// selectionsOf is the selections under a subscription's root field.
func selectionsOf(info graphql.ResolveInfo) []ast.Selection {
	var sels []ast.Selection
	for _, f := range info.FieldASTs {
		if f.SelectionSet != nil {
			sels = append(sels, f.SelectionSet.Selections...)
		}
	}
	return sels
}

// fieldsNamed collects the fields called name in sels, looking through
// inline fragments and fragment spreads, by response key.
func fieldsNamed(sels []ast.Selection, fragments map[string]ast.Definition, name string, into map[string][]ast.Selection) {
	for _, s := range sels {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name.Value == name && s.SelectionSet != nil {
				key := s.Name.Value
				if s.Alias != nil && s.Alias.Value != "" {
					key = s.Alias.Value
				}
				into[key] = append(into[key], s.SelectionSet.Selections...)
			}
		case *ast.InlineFragment:
			if s.SelectionSet != nil {
				fieldsNamed(s.SelectionSet.Selections, fragments, name, into)
			}
		case *ast.FragmentSpread:
			if fd, ok := fragments[s.Name.Value].(*ast.FragmentDefinition); ok && fd.SelectionSet != nil {
				fieldsNamed(fd.SelectionSet.Selections, fragments, name, into)
			}
		}
	}
}

// hiddenField is a field added to a fetch under an alias of the gateway's
// own, to read a value the subscriber did not select; remove it after.
func hiddenField(alias, name string) *ast.Field {
	return ast.NewField(&ast.Field{Alias: ast.NewName(&ast.Name{Value: alias}), Name: ast.NewName(&ast.Name{Value: name})})
}
