package supergraph

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/federation"
)

// The direct path. A subgraph hosted in this process need not be sent
// documents at all: the public schema's field can call the subgraph's own
// resolver. So a request whose fields are owned by in-process subgraphs is
// executed once, by graphql-go over the public schema, instead of once per
// subgraph plus once more to merge: no sub-documents printed, parsed or
// validated, no _entities union to complete, no thunks. Errors, null
// propagation and their paths are graphql-go's own, so a subgraph's
// extensions.code reaches the client on every path. Remote subgraphs keep
// the document path (execute.go) in the same request.
//
// Values a subgraph's resolvers return are its own (structs, typed enums),
// so they are tagged with the subgraph they came from (origin): a field of
// such a value is resolved by the same subgraph when it owns the field, and
// through the entity's reference resolver of its owner otherwise, as
// _entities would. Arguments are converted to the subgraph's own values
// (its enums' internal values) and leaf results serialized by its types.

// directSub is an in-process subgraph's schema, indexed for direct calls.
type directSub struct {
	name   string
	schema graphql.Schema
	fields map[string]*directField // "Type.field"
}

// directField is one field of an in-process subgraph.
type directField struct {
	sub     *directSub
	resolve graphql.FieldResolveFn
	args    []*graphql.Argument
	// convert is set when some argument needs converting to the
	// subgraph's values (enums, custom scalars, input objects holding
	// them).
	convert bool
	// out makes the subgraph's value the public schema's.
	out func(any) any
}

// origin is a value an in-process subgraph returned, with its type name
// when the public field is abstract.
type origin struct {
	sub      *directSub
	typename string
	v        any
}

func newDirectSub(name string, schema graphql.Schema) *directSub {
	ds := &directSub{name: name, schema: schema, fields: map[string]*directField{}}
	for typeName, t := range schema.TypeMap() {
		obj, ok := t.(*graphql.Object)
		if !ok || strings.HasPrefix(typeName, "__") || typeName == "_Service" {
			continue
		}
		for fieldName, f := range obj.Fields() {
			df := &directField{sub: ds, resolve: f.Resolve, args: f.Args}
			if df.resolve == nil {
				df.resolve = graphql.DefaultResolveFn
			}
			for _, a := range f.Args {
				df.convert = df.convert || needsConversion(a.Type, map[string]bool{})
			}
			df.out = ds.outputOf(f.Type)
			ds.fields[typeName+"."+fieldName] = df
		}
	}
	return ds
}

// needsConversion reports whether a value of input type t differs between
// the public schema (enums are their names, custom scalars as given) and
// the subgraph's.
func needsConversion(t graphql.Input, seen map[string]bool) bool {
	switch t := t.(type) {
	case *graphql.NonNull:
		return needsConversion(t.OfType, seen)
	case *graphql.List:
		return needsConversion(t.OfType, seen)
	case *graphql.Enum:
		return true
	case *graphql.Scalar:
		return !builtinScalar(t)
	case *graphql.InputObject:
		if seen[t.Name()] {
			return false
		}
		seen[t.Name()] = true
		for _, f := range t.Fields() {
			if needsConversion(f.Type, seen) {
				return true
			}
		}
	}
	return false
}

func builtinScalar(s *graphql.Scalar) bool {
	switch s {
	case graphql.String, graphql.Int, graphql.Float, graphql.Boolean, graphql.ID:
		return true
	}
	return false
}

// convertInput turns a public argument value into the subgraph's.
func convertInput(v any, t graphql.Input) any {
	if v == nil {
		return nil
	}
	switch t := t.(type) {
	case *graphql.NonNull:
		return convertInput(v, t.OfType)
	case *graphql.List:
		list, ok := v.([]any)
		if !ok {
			return convertInput(v, t.OfType)
		}
		out := make([]any, len(list))
		for i, x := range list {
			out[i] = convertInput(x, t.OfType)
		}
		return out
	case *graphql.Enum:
		return t.ParseValue(v)
	case *graphql.Scalar:
		if builtinScalar(t) {
			return v
		}
		return t.ParseValue(v)
	case *graphql.InputObject:
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := make(map[string]any, len(m))
		fields := t.Fields()
		for k, x := range m {
			if f := fields[k]; f != nil {
				out[k] = convertInput(x, f.Type)
			} else {
				out[k] = x
			}
		}
		return out
	}
	return v
}

// outputOf is how a value of the subgraph's output type t becomes the
// public schema's: objects are tagged with their origin, enums and custom
// scalars serialized by the subgraph's type, lists walked.
func (ds *directSub) outputOf(t graphql.Output) func(any) any {
	switch t := t.(type) {
	case *graphql.NonNull:
		return ds.outputOf(t.OfType)
	case *graphql.List:
		elem := ds.outputOf(t.OfType)
		if elem == nil {
			return nil
		}
		return func(v any) any { return mapList(v, elem) }
	case *graphql.Object:
		return func(v any) any {
			if nullish(v) {
				return nil
			}
			return &origin{sub: ds, typename: t.Name(), v: v}
		}
	case *graphql.Interface, *graphql.Union:
		abstract := t.(graphql.Abstract)
		return func(v any) any {
			if nullish(v) {
				return nil
			}
			return &origin{sub: ds, typename: ds.concreteType(abstract, v), v: v}
		}
	case *graphql.Enum:
		return func(v any) any {
			if nullish(v) {
				return nil
			}
			return t.Serialize(v)
		}
	case *graphql.Scalar:
		if builtinScalar(t) {
			return nil
		}
		return func(v any) any {
			if nullish(v) {
				return nil
			}
			return t.Serialize(v)
		}
	}
	return nil
}

// nullish is graphql-go's idea of null (values.go isNullish): nil, or a nil
// pointer. A nil slice is an empty list, not null, as graphql-go completes
// it on the document path.
func nullish(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// mapList applies elem to each element of a list of any slice type.
func mapList(v any, elem func(any) any) any {
	if nullish(v) {
		return nil
	}
	if list, ok := v.([]any); ok {
		out := make([]any, len(list))
		for i, x := range list {
			out[i] = elem(x)
		}
		return out
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return elem(v) // graphql-go would complain the same way
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = elem(rv.Index(i).Interface())
	}
	return out
}

// concreteType names the object type of a value of an abstract type, as
// the subgraph's schema would resolve it.
func (ds *directSub) concreteType(t graphql.Abstract, v any) string {
	p := graphql.ResolveTypeParams{Value: v, Context: context.Background()}
	var resolve graphql.ResolveTypeFn
	switch t := t.(type) {
	case *graphql.Union:
		resolve = t.ResolveType
	case *graphql.Interface:
		resolve = t.ResolveType
	}
	if resolve != nil {
		if o := resolve(p); o != nil {
			return o.Name()
		}
		return ""
	}
	for _, o := range ds.schema.PossibleTypes(t) {
		if o.IsTypeOf != nil && o.IsTypeOf(graphql.IsTypeOfParams{Value: v, Context: p.Context}) {
			return o.Name()
		}
	}
	return ""
}

// call runs the subgraph's resolver of a field with source as its source.
func (df *directField) call(p graphql.ResolveParams, source any) (any, error) {
	p.Source = source
	if df.convert {
		args := make(map[string]any, len(p.Args))
		for _, a := range df.args {
			if v, ok := p.Args[a.Name()]; ok {
				args[a.Name()] = convertInput(v, a.Type)
			}
		}
		p.Args = args
	}
	v, err := df.resolve(p)
	if err != nil || df.out == nil {
		return v, err
	}
	if thunk, ok := v.(func() (any, error)); ok {
		return func() (any, error) {
			v, err := thunk()
			if err != nil {
				return v, err
			}
			return df.out(v), nil
		}, nil
	}
	return df.out(v), nil
}

// directRoot is the resolver of a root field owned by an in-process
// subgraph.
func directRoot(df *directField) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) { return df.call(p, p.Source) }
}

// directResolve resolves a field of an object type in direct mode.
func (s *Supergraph) directResolve(p graphql.ResolveParams, ti *typeInfo, fi *fieldInfo) (any, error) {
	key := ti.name + "." + p.Info.FieldName
	switch src := p.Source.(type) {
	case *origin:
		if df := src.sub.fields[key]; df != nil {
			return df.call(p, src.v)
		}
	case map[string]any:
		// A remote subgraph's data (by response key), or a gateway
		// resolver's value (by field name).
		if v, ok := src[responseKey(p.Info.FieldASTs[0])]; ok {
			return v, nil
		}
		if _, fetched := src[typenameAlias]; !fetched {
			if v, ok := src[p.Info.FieldName]; ok {
				return v, nil
			}
		}
	case nil:
		return nil, nil
	default:
		return graphql.DefaultResolveFn(p)
	}
	// Another subgraph owns the field: through its reference resolver
	// when it is in process, else by the document path.
	for _, o := range fi.owners {
		ds := s.direct[o]
		if ds == nil || ti.keys[o] == nil {
			continue
		}
		df := ds.fields[key]
		if df == nil {
			continue
		}
		ref, err := s.reference(p.Context, ds, ti, o, p.Source)
		if err != nil || ref == nil {
			return nil, err
		}
		return df.call(p, ref)
	}
	if o, ok := p.Source.(*origin); ok {
		keys, err := s.keysOf(p.Context, o, ti)
		if err != nil {
			return nil, err
		}
		p.Source = keys
	}
	return s.resolveField(p, ti, fi)
}

// keysOf is the entity o as the document path knows a fetched entity: its
// type and key fields.
func (s *Supergraph) keysOf(ctx context.Context, o *origin, ti *typeInfo) (map[string]any, error) {
	m := map[string]any{typenameAlias: ti.name}
	for _, k := range ti.keyFields {
		v, err := o.key(ctx, ti.name, k)
		if err != nil {
			return nil, err
		}
		m[keyPrefix+k] = v
	}
	return m, nil
}

// key reads a key field of an in-process subgraph's entity.
func (o *origin) key(ctx context.Context, typeName, field string) (any, error) {
	df := o.sub.fields[typeName+"."+field]
	if df == nil {
		return nil, fmt.Errorf("supergraph: %s: %s has no key field %s", o.sub.name, typeName, field)
	}
	v, err := df.resolve(graphql.ResolveParams{Source: o.v, Context: ctx, Info: graphql.ResolveInfo{FieldName: field}})
	if err != nil || df.out == nil {
		return v, err
	}
	return df.out(v), nil
}

// reference resolves the entity src (another subgraph's value or a
// gateway resolver's) in the in-process subgraph ds, once per request.
func (s *Supergraph) reference(ctx context.Context, ds *directSub, ti *typeInfo, owner string, src any) (any, error) {
	rep := map[string]any{"__typename": ti.name}
	var b strings.Builder
	b.WriteString(owner)
	b.WriteByte('|')
	b.WriteString(ti.name)
	for _, k := range ti.keys[owner] {
		var v any
		if o, ok := src.(*origin); ok {
			var err error
			if v, err = o.key(ctx, ti.name, k); err != nil {
				return nil, err
			}
		} else {
			v = Key(src, k)
		}
		if v == nil {
			return nil, fmt.Errorf("supergraph: the %s has no key field %s", ti.name, k)
		}
		rep[k] = v
		fmt.Fprintf(&b, "|%v", v)
	}
	r, _ := ctx.Value(requestKey{}).(*request)
	if r == nil {
		return federation.Reference(ctx, ds.schema, rep)
	}
	id := b.String()
	r.mu.Lock()
	c, ok := r.refs[id]
	r.mu.Unlock()
	if ok {
		return c.v, c.err
	}
	v, err := federation.Reference(ctx, ds.schema, rep)
	r.mu.Lock()
	if r.refs == nil {
		r.refs = map[string]refResult{}
	}
	r.refs[id] = refResult{v, err}
	r.mu.Unlock()
	return v, err
}

type refResult struct {
	v   any
	err error
}

// directResolveType picks the public object type of an abstract value.
func (s *Supergraph) directResolveType(p graphql.ResolveTypeParams) *graphql.Object {
	if o, ok := p.Value.(*origin); ok {
		t, _ := p.Info.Schema.Type(o.typename).(*graphql.Object)
		return t
	}
	return s.resolveType(p)
}

// directResolverFor is the resolver of each field of the executable schema.
func (s *Supergraph) directResolverFor(typeName, fieldName string) graphql.FieldResolveFn {
	if s.resolvers[typeName+"."+fieldName] != nil || typeName == "Subscription" {
		return s.resolverFor(typeName, fieldName)
	}
	ti, fi := s.field(typeName, fieldName)
	if fi == nil {
		return nil
	}
	if typeName == "Query" || typeName == "Mutation" {
		if ds := s.direct[fi.subgraphOwner()]; ds != nil {
			if df := ds.fields[typeName+"."+fieldName]; df != nil {
				return directRoot(df)
			}
		}
		return s.resolverFor(typeName, fieldName)
	}
	return func(p graphql.ResolveParams) (any, error) { return s.directResolve(p, ti, fi) }
}
