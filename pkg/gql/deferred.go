package gql

import (
	"context"
	"fmt"
	"sync"

	"github.com/graphql-go/graphql"
)

// Deferred is the value of an object that several subgraphs share and
// each fills with its own fields, keyed by one value (LocalitySummary, by
// locality): the key, and this subgraph's part, loaded once, by the first
// of its fields that a query selects, with that request's viewer.
//
// The resolver that returns such an object (Locality.summary) must not
// refuse anyone: a gateway resolves it through one subgraph, and that
// subgraph's refusal would hide the other subgraphs' fields from viewers
// who may see them. So the load, with its checks of role and reach, runs
// under the fields, and its error is each of those fields' error.
type Deferred[T any] struct {
	// Key is what the object is for (a locality's ID): the key field
	// reads it without loading.
	Key  string
	load func(context.Context) (T, error)
	once sync.Once
	v    T
	err  error
}

// Defer returns the object for key whose part is loaded by load.
func Defer[T any](key string, load func(ctx context.Context) (T, error)) *Deferred[T] {
	return &Deferred[T]{Key: key, load: load}
}

// Get loads the part (once) and returns it, or the load's error.
func (d *Deferred[T]) Get(ctx context.Context) (T, error) {
	d.once.Do(func() { d.v, d.err = d.load(ctx) })
	return d.v, d.err
}

// DeferredKey is the key field of a Deferred object.
func DeferredKey[T any](typ graphql.Output, desc string) *graphql.Field {
	return &graphql.Field{Type: typ, Description: desc, Resolve: func(p graphql.ResolveParams) (any, error) {
		d, err := deferred[T](p)
		if err != nil {
			return nil, err
		}
		return d.Key, nil
	}}
}

// DeferredField is a field of a Deferred object: read of the loaded part,
// or the load's error (mapped as Resolver maps it).
func DeferredField[T any](typ graphql.Output, desc string, read func(T) any) *graphql.Field {
	return &graphql.Field{Type: typ, Description: desc, Resolve: Resolver(func(p graphql.ResolveParams) (any, error) {
		d, err := deferred[T](p)
		if err != nil {
			return nil, err
		}
		v, err := d.Get(p.Context)
		if err != nil {
			return nil, err
		}
		return read(v), nil
	})}
}

func deferred[T any](p graphql.ResolveParams) (*Deferred[T], error) {
	d, ok := p.Source.(*Deferred[T])
	if !ok || d == nil {
		return nil, fmt.Errorf("gql: %s resolved on %T, not a deferred %T", p.Info.FieldName, p.Source, *new(T))
	}
	return d, nil
}
