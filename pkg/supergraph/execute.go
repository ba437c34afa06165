package supergraph

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// Aliases the gateway adds to the documents it sends subgraphs. Every
// object a subgraph returns carries its type under typenameAlias, and an
// entity its key fields under keyPrefix+field; the client's own fields keep
// their response keys.
const (
	typenameAlias = "_fs"
	keyPrefix     = "_fk_"
	fieldPrefix   = "_f"
	repsVariable  = "_representations"
)

// Key returns a key field of an entity source (a gateway resolver's
// p.Source): what the subgraph that fetched it returned for the field.
func Key(source any, field string) any {
	if o, ok := source.(*origin); ok {
		v, err := o.key(context.Background(), o.typename, field)
		if err != nil {
			return nil
		}
		return v
	}
	m, _ := source.(map[string]any)
	if v, ok := m[keyPrefix+field]; ok {
		return v
	}
	return m[field]
}

// Do executes a request against the public schema (p.Schema is ignored):
// root fields are sent to the subgraphs that own them, and the entity
// fields they do not own are fetched with one _entities request per
// subgraph and level of the query.
func (s *Supergraph) Do(p graphql.Params) *graphql.Result {
	return s.run(p.Context, p.OperationName, func(ctx context.Context) *graphql.Result {
		p.Context, p.Schema = ctx, s.executableSchema()
		return graphql.Do(p)
	}, func() *ast.Document {
		doc, err := parser.Parse(parser.ParseParams{Source: &source.Source{Body: []byte(p.RequestString)}})
		if err != nil {
			return nil
		}
		return doc
	})
}

// Execute is Do for a document already parsed and validated against
// Schema (p.Schema is ignored), as pkg/graphqlhttp's Options.Execute
// wants: the same per-request set-up, batching and error handling.
func (s *Supergraph) Execute(p graphql.ExecuteParams) *graphql.Result {
	return s.run(p.Context, p.OperationName, func(ctx context.Context) *graphql.Result {
		p.Context, p.Schema = ctx, s.executableSchema()
		return graphql.Execute(p)
	}, func() *ast.Document { return p.AST })
}

// run executes one request with its loader in the context, then applies
// the null propagation and errors the loader recorded. doc gives the
// request's document, needed only when a non-null field failed in a thunk.
func (s *Supergraph) run(ctx context.Context, operationName string, exec func(context.Context) *graphql.Result, doc func() *ast.Document) *graphql.Result {
	if ctx == nil {
		ctx = context.Background()
	}
	r := &request{sg: s, batches: map[string]*batch{}, nulled: map[string]bool{}}
	res := exec(context.WithValue(ctx, requestKey{}, r))
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.propagate) > 0 {
		if data, ok := res.Data.(map[string]any); ok {
			res.Data = s.nullify(doc(), operationName, data, r.propagate)
		}
	}
	if len(r.errs) > 0 {
		kept := res.Errors[:0:0]
		for _, e := range res.Errors {
			if r.nulled[pathKey(e.Path)] && strings.HasPrefix(e.Message, "Cannot return null for non-nullable field") {
				continue // the error recorded at that path says why
			}
			kept = append(kept, e)
		}
		res.Errors = append(kept, r.errs...)
	}
	return res
}

// executableSchema is the schema requests run on: the direct one when
// some subgraphs are in process (direct.go).
func (s *Supergraph) executableSchema() graphql.Schema {
	if s.executable != nil {
		return *s.executable
	}
	return s.schema
}

type requestKey struct{}

// request is the state of one client request: the _entities batches being
// collected and the errors to add to the response.
type request struct {
	sg      *Supergraph
	mu      sync.Mutex
	batches map[string]*batch
	errs    []gqlerrors.FormattedError
	nulled  map[string]bool
	// propagate are the paths of non-null fields that failed in a thunk.
	propagate [][]any
	// refs are the entities resolved in in-process subgraphs (direct.go).
	refs map[string]refResult
}

// batch is the _entities fetches from one subgraph at one level.
type batch struct {
	sub  Subgraph
	regs []*registration
	done bool
}

// registration is one field of one entity a resolver wants.
type registration struct {
	typename string
	rep      map[string]any
	repIdx   int
	fields   []*ast.Field // rewritten for the subgraph, alias set by the batch
	group    int
	path     []any
	info     graphql.ResolveInfo
	value    any
	err      *GraphQLError
}

func (r *request) fail(path []any, e GraphQLError, nonNull bool) {
	r.nulled[pathKey(path)] = true
	if nonNull {
		r.propagate = append(r.propagate, path)
	}
	r.errs = append(r.errs, gqlerrors.FormattedError{Message: e.Message, Path: path, Extensions: e.Extensions})
}

func (r *request) addError(path []any, e GraphQLError) {
	r.errs = append(r.errs, gqlerrors.FormattedError{Message: e.Message, Path: path, Extensions: e.Extensions})
}

func pathKey(p []any) string {
	b, _ := json.Marshal(p)
	return string(b)
}

// fieldError is a resolver error that keeps a subgraph's extensions.
type fieldError struct{ GraphQLError }

func (e fieldError) Extensions() map[string]any { return e.GraphQLError.Extensions }

// resolveType picks the object type of an abstract value.
func (s *Supergraph) resolveType(p graphql.ResolveTypeParams) *graphql.Object {
	m, _ := p.Value.(map[string]any)
	name, _ := m[typenameAlias].(string)
	if name == "" {
		name, _ = m["__typename"].(string)
	}
	o, _ := p.Info.Schema.Type(name).(*graphql.Object)
	return o
}

// resolverFor is the resolver of each field of the public schema.
func (s *Supergraph) resolverFor(typeName, fieldName string) graphql.FieldResolveFn {
	if f := s.resolvers[typeName+"."+fieldName]; f != nil {
		return func(p graphql.ResolveParams) (any, error) {
			if m, ok := p.Source.(map[string]any); ok && m[placeholderKey] != nil {
				return placeholder(p.Info.Schema, p.Info.ReturnType), nil
			}
			return f(p)
		}
	}
	if typeName == "Subscription" {
		// The event is the field's value (see Options.Subscribers).
		return func(p graphql.ResolveParams) (any, error) { return p.Source, nil }
	}
	ti, fi := s.field(typeName, fieldName)
	if fi == nil {
		return nil
	}
	if typeName == "Query" || typeName == "Mutation" {
		owner := fi.subgraphOwner()
		if owner == "" {
			return nil
		}
		op := strings.ToLower(typeName)
		return func(p graphql.ResolveParams) (any, error) { return s.resolveRoot(p, owner, op) }
	}
	return func(p graphql.ResolveParams) (any, error) { return s.resolveField(p, ti, fi) }
}

// field is a field of the merged schema, nil when there is none.
func (s *Supergraph) field(typeName, fieldName string) (*typeInfo, *fieldInfo) {
	ti := s.types[typeName]
	if ti == nil {
		return nil, nil
	}
	return ti, ti.fields[fieldName]
}

// subgraphOwner is the first subgraph that owns the field ("" when only
// the gateway does).
func (fi *fieldInfo) subgraphOwner() string {
	for _, o := range fi.owners {
		if o != gateway {
			return o
		}
	}
	return ""
}

func responseKey(f *ast.Field) string {
	if f.Alias != nil && f.Alias.Value != "" {
		return f.Alias.Value
	}
	return f.Name.Value
}

// resolveRoot sends a root field, with the part of its selection the
// subgraph owns, to the subgraph.
func (s *Supergraph) resolveRoot(p graphql.ResolveParams, owner, op string) (any, error) {
	r, _ := p.Context.Value(requestKey{}).(*request)
	if r == nil {
		return nil, fmt.Errorf("supergraph: execute with Supergraph.Do")
	}
	pl := &planner{sg: s, sub: owner, info: p.Info}
	key := responseKey(p.Info.FieldASTs[0])
	var sels []ast.Selection
	for _, f := range p.Info.FieldASTs {
		c := pl.field(f, s.types[p.Info.ParentType.Name()].fields[f.Name.Value])
		c.Alias = ast.NewName(&ast.Name{Value: key})
		c.Directives = nil
		sels = append(sels, c)
	}
	doc, vars := pl.document(op, nil, sels)
	data, errs, err := s.subgraphs[owner].Do(p.Context, doc, vars)
	if err != nil {
		return nil, err
	}
	path := p.Info.Path.AsArray()
	var fieldErr error
	r.mu.Lock()
	for _, e := range errs {
		if len(e.Path) <= 1 {
			if fieldErr == nil {
				fieldErr = fieldError{e}
				continue
			}
			r.addError(path, e)
			continue
		}
		r.addError(e.Path, e)
	}
	r.mu.Unlock()
	v := data[key]
	if fieldErr != nil && isNull(v) {
		return nil, fieldErr
	}
	return v, nil
}

func isNull(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// resolveField reads a field a subgraph already fetched, or has its owner
// fetch it through _entities, batched.
func (s *Supergraph) resolveField(p graphql.ResolveParams, ti *typeInfo, fi *fieldInfo) (any, error) {
	src, ok := p.Source.(map[string]any)
	if !ok {
		return graphql.DefaultResolveFn(p)
	}
	if src[placeholderKey] != nil {
		return placeholder(p.Info.Schema, p.Info.ReturnType), nil
	}
	if v, ok := src[responseKey(p.Info.FieldASTs[0])]; ok {
		return v, nil
	}
	typename, fetched := src[typenameAlias].(string)
	if !fetched {
		// A gateway resolver's value: keyed by field name.
		if v, ok := src[p.Info.FieldName]; ok {
			return v, nil
		}
		typename, _ = src["__typename"].(string)
		if typename == "" {
			typename = p.Info.ParentType.Name()
		}
	}
	if typename != ti.name {
		ti = s.types[typename]
		if ti == nil || ti.fields[p.Info.FieldName] == nil {
			return nil, nil
		}
		fi = ti.fields[p.Info.FieldName]
	}
	owner := ""
	for _, o := range fi.owners {
		if ti.keys[o] != nil {
			owner = o
			break
		}
	}
	if owner == "" {
		return nil, fmt.Errorf("supergraph: no subgraph resolves %s.%s for this %s", ti.name, p.Info.FieldName, ti.name)
	}
	rep := map[string]any{"__typename": ti.name}
	for _, k := range ti.keys[owner] {
		v := Key(src, k)
		if v == nil {
			return nil, fmt.Errorf("supergraph: %s.%s: the %s has no key field %s", ti.name, p.Info.FieldName, ti.name, k)
		}
		rep[k] = v
	}
	r, _ := p.Context.Value(requestKey{}).(*request)
	if r == nil {
		return nil, fmt.Errorf("supergraph: execute with Supergraph.Do")
	}
	pl := &planner{sg: s, sub: owner, info: p.Info}
	var fields []*ast.Field
	for _, f := range p.Info.FieldASTs {
		c := pl.field(f, fi)
		c.Directives = nil
		fields = append(fields, c)
	}
	reg := &registration{typename: ti.name, rep: rep, fields: fields, path: p.Info.Path.AsArray(), info: p.Info}
	r.mu.Lock()
	b := r.batches[owner]
	if b == nil || b.done {
		b = &batch{sub: s.subgraphs[owner]}
		r.batches[owner] = b
	}
	b.regs = append(b.regs, reg)
	r.mu.Unlock()
	ctx := p.Context
	_, nonNull := p.Info.ReturnType.(*graphql.NonNull)
	return func() (any, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if !b.done {
			b.done = true
			r.run(ctx, b)
		}
		e := reg.err
		if e == nil && isNull(reg.value) && nonNull {
			e = &GraphQLError{Message: fmt.Sprintf("Cannot return null for non-nullable field %s.%s.", ti.name, p.Info.FieldName)}
		}
		if e == nil {
			return reg.value, nil
		}
		// graphql-go drops the extensions of a thunk's error, and a null
		// from a thunk of a non-null field nulls the whole response: record
		// the error, complete a placeholder, and let Do null the field's
		// nearest nullable ancestor.
		r.fail(reg.path, *e, nonNull)
		if nonNull {
			return placeholder(p.Info.Schema, p.Info.ReturnType), nil
		}
		return nil, nil
	}, nil
}

// run sends a batch as one _entities request. Called with r.mu held.
func (r *request) run(ctx context.Context, b *batch) {
	var reps []any
	repIdx := map[string]int{}
	groups := map[string]int{}
	byType := map[string][]ast.Selection{}
	var typeOrder []string
	for _, reg := range b.regs {
		k := pathKey([]any{reg.rep})
		i, ok := repIdx[k]
		if !ok {
			i = len(reps)
			repIdx[k] = i
			reps = append(reps, reg.rep)
		}
		reg.repIdx = i
		var sb strings.Builder
		sb.WriteString(reg.typename)
		for _, f := range reg.fields {
			c := *f
			c.Alias = nil
			sb.WriteString(" ")
			printField(&sb, &c)
		}
		g, ok := groups[sb.String()]
		if !ok {
			g = len(groups)
			groups[sb.String()] = g
			if _, seen := byType[reg.typename]; !seen {
				typeOrder = append(typeOrder, reg.typename)
			}
			for _, f := range reg.fields {
				c := *f
				c.Alias = ast.NewName(&ast.Name{Value: fieldPrefix + strconv.Itoa(g)})
				byType[reg.typename] = append(byType[reg.typename], &c)
			}
		}
		reg.group = g
	}
	var frags []ast.Selection
	for _, t := range typeOrder {
		frags = append(frags, ast.NewInlineFragment(&ast.InlineFragment{
			TypeCondition: named(t),
			SelectionSet:  ast.NewSelectionSet(&ast.SelectionSet{Selections: byType[t]}),
		}))
	}
	entities := ast.NewField(&ast.Field{
		Name: ast.NewName(&ast.Name{Value: "_entities"}),
		Arguments: []*ast.Argument{ast.NewArgument(&ast.Argument{
			Name:  ast.NewName(&ast.Name{Value: "representations"}),
			Value: ast.NewVariable(&ast.Variable{Name: ast.NewName(&ast.Name{Value: repsVariable})}),
		})},
		SelectionSet: ast.NewSelectionSet(&ast.SelectionSet{Selections: frags}),
	})
	reg0 := b.regs[0]
	pl := &planner{sg: r.sg, sub: b.sub.Name(), info: reg0.info}
	repsDef := ast.NewVariableDefinition(&ast.VariableDefinition{
		Variable: ast.NewVariable(&ast.Variable{Name: ast.NewName(&ast.Name{Value: repsVariable})}),
		Type: ast.NewNonNull(&ast.NonNull{Type: ast.NewList(&ast.List{
			Type: ast.NewNonNull(&ast.NonNull{Type: named("_Any")}),
		})}),
	})
	doc, vars := pl.document("query", repsDef, []ast.Selection{entities})
	vars[repsVariable] = reps
	// The batch runs inside one resolver's thunk, but serves all: a
	// transport error is every registration's error.
	data, errs, err := b.sub.Do(ctx, doc, vars)
	if err != nil {
		for _, reg := range b.regs {
			reg.err = &GraphQLError{Message: err.Error()}
		}
		return
	}
	list, _ := data["_entities"].([]any)
	for _, reg := range b.regs {
		if reg.repIdx < len(list) {
			if m, ok := list[reg.repIdx].(map[string]any); ok {
				reg.value = m[fieldPrefix+strconv.Itoa(reg.group)]
			}
		}
	}
	for _, e := range errs {
		if len(e.Path) < 2 || e.Path[0] != "_entities" {
			for _, reg := range b.regs {
				if reg.err == nil {
					reg.err = &GraphQLError{Message: e.Message, Extensions: e.Extensions}
				}
			}
			continue
		}
		i := toInt(e.Path[1])
		for _, reg := range b.regs {
			if reg.repIdx != i {
				continue
			}
			if len(e.Path) == 2 {
				if reg.err == nil {
					reg.err = &GraphQLError{Message: e.Message, Extensions: e.Extensions}
				}
				continue
			}
			if e.Path[2] != fieldPrefix+strconv.Itoa(reg.group) {
				continue
			}
			if len(e.Path) == 3 {
				if reg.err == nil {
					reg.err = &GraphQLError{Message: e.Message, Extensions: e.Extensions}
				}
				continue
			}
			r.addError(append(slices.Clone(reg.path), e.Path[3:]...), e)
		}
	}
}

func toInt(v any) int {
	switch v := v.(type) {
	case int:
		return v
	case float64:
		return int(v)
	case int64:
		return int(v)
	}
	return -1
}

func named(name string) *ast.Named {
	return ast.NewNamed(&ast.Named{Name: ast.NewName(&ast.Name{Value: name})})
}

// planner rewrites the client's selections into what one subgraph fetches.
type planner struct {
	sg   *Supergraph
	sub  string
	info graphql.ResolveInfo
}

// field copies a field, its selection rewritten for the subgraph.
func (pl *planner) field(f *ast.Field, fi *fieldInfo) *ast.Field {
	c := *f
	if f.SelectionSet != nil && fi != nil {
		c.SelectionSet = pl.selectionSet(namedType(fi.def.Type), f.SelectionSet)
	}
	return &c
}

func namedType(t ast.Type) string {
	for {
		switch tt := t.(type) {
		case *ast.NonNull:
			t = tt.Type
		case *ast.List:
			t = tt.Type
		case *ast.Named:
			return tt.Name.Value
		default:
			return ""
		}
	}
}

func aliased(alias, name string) *ast.Field {
	return ast.NewField(&ast.Field{Alias: ast.NewName(&ast.Name{Value: alias}), Name: ast.NewName(&ast.Name{Value: name})})
}

// selectionSet keeps the fields of typeName the subgraph owns, inlines
// fragments, and adds the type name and, for entities, the key fields.
func (pl *planner) selectionSet(typeName string, ss *ast.SelectionSet) *ast.SelectionSet {
	sels := []ast.Selection{aliased(typenameAlias, "__typename")}
	sels = append(sels, pl.keys(typeName)...)
	sels = append(sels, pl.selections(typeName, ss)...)
	return ast.NewSelectionSet(&ast.SelectionSet{Selections: sels})
}

// keys selects the key fields of an entity (or of the entities an
// abstract type may be) that the subgraph has.
func (pl *planner) keys(typeName string) []ast.Selection {
	ti := pl.sg.types[typeName]
	if ti == nil {
		return nil
	}
	var out []ast.Selection
	if _, isObject := ti.def.(*ast.ObjectDefinition); isObject {
		for _, k := range ti.keyFields {
			if fi := ti.fields[k]; fi != nil && slices.Contains(fi.owners, pl.sub) {
				out = append(out, aliased(keyPrefix+k, k))
			}
		}
		return out
	}
	for _, t := range pl.sg.possibleTypes(ti) {
		if !pl.sg.subTypes[pl.sub][t] {
			continue
		}
		if ks := pl.keys(t); len(ks) > 0 {
			out = append(out, ast.NewInlineFragment(&ast.InlineFragment{
				TypeCondition: named(t),
				SelectionSet:  ast.NewSelectionSet(&ast.SelectionSet{Selections: ks}),
			}))
		}
	}
	return out
}

// possibleTypes are the object types of an interface or union.
func (sg *Supergraph) possibleTypes(ti *typeInfo) []string {
	var out []string
	switch d := ti.def.(type) {
	case *ast.UnionDefinition:
		for _, t := range d.Types {
			out = append(out, t.Name.Value)
		}
	case *ast.InterfaceDefinition:
		for name, t := range sg.types {
			if slices.Contains(t.interfaces, ti.name) {
				out = append(out, name)
			}
		}
		slices.Sort(out)
	}
	return out
}

func (pl *planner) selections(typeName string, ss *ast.SelectionSet) []ast.Selection {
	if ss == nil {
		return nil
	}
	ti := pl.sg.types[typeName]
	var out []ast.Selection
	for _, sel := range ss.Selections {
		switch s := sel.(type) {
		case *ast.Field:
			name := s.Name.Value
			if strings.HasPrefix(name, "__") {
				if name == "__typename" {
					out = append(out, s)
				}
				continue
			}
			if ti == nil || ti.fields[name] == nil || !slices.Contains(ti.fields[name].owners, pl.sub) {
				continue // fetched later, from its owner
			}
			out = append(out, pl.field(s, ti.fields[name]))
		case *ast.InlineFragment:
			cond := typeName
			if s.TypeCondition != nil {
				cond = s.TypeCondition.Name.Value
			}
			out = append(out, pl.fragment(typeName, cond, s.Directives, s.SelectionSet)...)
		case *ast.FragmentSpread:
			def, _ := pl.info.Fragments[s.Name.Value].(*ast.FragmentDefinition)
			if def == nil {
				continue
			}
			out = append(out, pl.fragment(typeName, def.TypeCondition.Name.Value, s.Directives, def.SelectionSet)...)
		}
	}
	return out
}

// fragment inlines a fragment on cond within typeName.
func (pl *planner) fragment(typeName, cond string, dirs []*ast.Directive, ss *ast.SelectionSet) []ast.Selection {
	if cond == typeName && len(dirs) == 0 {
		return pl.selections(typeName, ss)
	}
	if !pl.sg.subTypes[pl.sub][cond] {
		return nil
	}
	sels := pl.selections(cond, ss)
	if cond != typeName {
		sels = append(pl.keys(cond), sels...)
	}
	if len(sels) == 0 {
		return nil
	}
	return []ast.Selection{ast.NewInlineFragment(&ast.InlineFragment{
		TypeCondition: named(cond),
		Directives:    dirs,
		SelectionSet:  ast.NewSelectionSet(&ast.SelectionSet{Selections: sels}),
	})}
}

// document prints an operation with the client's variables it uses.
func (pl *planner) document(op string, extra *ast.VariableDefinition, sels []ast.Selection) (string, map[string]any) {
	used := map[string]bool{}
	for _, s := range sels {
		collectVariables(s, used)
	}
	var defs []*ast.VariableDefinition
	if extra != nil {
		defs = append(defs, extra)
	}
	vars := map[string]any{}
	if od, ok := pl.info.Operation.(*ast.OperationDefinition); ok {
		for _, d := range od.VariableDefinitions {
			name := d.Variable.Name.Value
			if used[name] {
				defs = append(defs, d)
				if v, ok := pl.info.VariableValues[name]; ok {
					vars[name] = v
				}
			}
		}
	}
	return printOperation(op, defs, sels), vars
}

func collectVariables(n any, used map[string]bool) {
	switch n := n.(type) {
	case *ast.Field:
		for _, a := range n.Arguments {
			collectVariables(a.Value, used)
		}
		collectDirectives(n.Directives, used)
		if n.SelectionSet != nil {
			for _, s := range n.SelectionSet.Selections {
				collectVariables(s, used)
			}
		}
	case *ast.InlineFragment:
		collectDirectives(n.Directives, used)
		for _, s := range n.SelectionSet.Selections {
			collectVariables(s, used)
		}
	case *ast.Variable:
		used[n.Name.Value] = true
	case *ast.ListValue:
		for _, v := range n.Values {
			collectVariables(v, used)
		}
	case *ast.ObjectValue:
		for _, f := range n.Fields {
			collectVariables(f.Value, used)
		}
	}
}

func collectDirectives(ds []*ast.Directive, used map[string]bool) {
	for _, d := range ds {
		for _, a := range d.Arguments {
			collectVariables(a.Value, used)
		}
	}
}
