// Package querylimit measures a GraphQL document before it runs, so that a
// server can refuse one that would cost far more to answer than any screen of
// carecoord needs: how deeply an operation nests ([Depth]), how much it could
// fetch ([Cost]), how far an introspection query recurses
// ([IntrospectionDepth]), and, before validation, whether the document would
// be costly even to validate ([Fields], [Repeats]).
//
// The measures are static: they come from the document and the schema's
// types, not from running the operation. So a refused operation costs the
// server only a walk over its text, the numbers can be cached with the parsed
// document, and every transport (GraphQL over HTTP, subscriptions over
// WebSocket) can apply the same ones.
//
// Each measure expands fragments, measuring each fragment once (a document
// that spreads fragments inside fragments cannot make a walk exponential),
// and counts @skip and @include fields as if they run (an upper bound).
//
// The cost model, deliberately simple so that a client can work it out:
//
//   - every field costs 1, __typename included;
//   - a field whose type is a list multiplies the cost of its selection set
//     by the number of items it may return: its first, last or limit
//     argument when it has one (a literal, or the variable's value or
//     default), otherwise a default list size;
//   - introspection (__schema and __type, and everything under them) costs 1
//     a field with no multiplier, since its size is the schema's, not the
//     data's; what bounds it instead is [IntrospectionDepth].
//
// So `{ localities { name referrals { id } } }` with a list size of 10
// costs 1 + 10 × (1 + 1 + 10 × 1) = 121.
//
// It imports only graphql-go.
package querylimit

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// Code is the extensions.code of an operation refused by a limit.
const Code = "QUERY_TOO_COMPLEX"

// MaxIntrospectionDepth is how many of the introspection list fields
// (fields, interfaces, possibleTypes, inputFields) may nest inside one
// another: the standard introspection query nests one, and each further
// level multiplies the answer by the size of the schema (graphql-js refuses
// a third level in the same way).
const MaxIntrospectionDepth = 2

// saturation caps every count, far above any sensible limit, so that
// multiplying list sizes cannot overflow.
const saturation = math.MaxInt32

func add(a, b int) int { return min(a+b, saturation) }

func mul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > saturation/b {
		return saturation
	}
	return min(a*b, saturation)
}

// Operations returns the operations of doc.
func Operations(doc *ast.Document) []*ast.OperationDefinition {
	var ops []*ast.OperationDefinition
	for _, def := range doc.Definitions {
		if op, ok := def.(*ast.OperationDefinition); ok {
			ops = append(ops, op)
		}
	}
	return ops
}

func fragments(doc *ast.Document) map[string]*ast.FragmentDefinition {
	frags := map[string]*ast.FragmentDefinition{}
	for _, def := range doc.Definitions {
		if f, ok := def.(*ast.FragmentDefinition); ok && f.Name != nil {
			frags[f.Name.Value] = f
		}
	}
	return frags
}

// Fields counts the field selections of doc as written, fragments not
// expanded. It needs no schema and no validation, so a server can refuse an
// oversized document before the validator (whose overlapping-fields rule is
// quadratic in the number of fields) sees it: since every field costs at
// least 1, a document with more fields than the cost limit is over it.
func Fields(doc *ast.Document) int {
	n := 0
	var walk func(ss *ast.SelectionSet)
	walk = func(ss *ast.SelectionSet) {
		if ss == nil {
			return
		}
		for _, sel := range ss.Selections {
			switch sel := sel.(type) {
			case *ast.Field:
				n++
				walk(sel.SelectionSet)
			case *ast.InlineFragment:
				walk(sel.SelectionSet)
			}
		}
	}
	for _, def := range doc.Definitions {
		switch def := def.(type) {
		case *ast.OperationDefinition:
			walk(def.SelectionSet)
		case *ast.FragmentDefinition:
			walk(def.SelectionSet)
		}
	}
	return n
}

// MaxRepeats is how many fields may share one response name in one
// selection set once the selection sets that GraphQL merges are merged (the
// sub-selections of same-named fields, and fragments). Validation compares
// such fields pairwise (the OverlappingFieldsCanBeMerged rule), so its time
// grows with the square of this number: graphql-go takes seconds over a few
// thousand copies of one field, a document of under 100 kB. Real documents
// repeat a name a handful of times (id and __typename in each fragment).
const MaxRepeats = 50

// Repeats finds the response name that the most fields share in one merged
// selection set of doc (see [MaxRepeats]), walking every operation and
// fragment definition as validation does, each fragment once per selection
// set. It needs no schema and is safe on a document that has not been
// validated. It stops once it has visited more than budget fields, and then
// reports within false: a document that large (fields used in several places
// count in each) is too costly to validate.
func Repeats(doc *ast.Document, budget int) (name string, count int, within bool) {
	w := &repeatWalk{frags: fragments(doc), budget: budget, active: map[string]bool{}}
	for _, def := range doc.Definitions {
		switch def := def.(type) {
		case *ast.OperationDefinition:
			w.group([]*ast.SelectionSet{def.SelectionSet})
		case *ast.FragmentDefinition:
			w.group([]*ast.SelectionSet{def.SelectionSet})
		}
	}
	return w.name, w.count, w.visited <= w.budget
}

type repeatWalk struct {
	frags   map[string]*ast.FragmentDefinition
	budget  int
	visited int
	// active are the fragments being expanded above the current group: a
	// cycle (which validation refuses) is not followed.
	active map[string]bool
	name   string
	count  int
}

// group merges sets (the sub-selections of same-named fields) into one
// selection set, counts its response names and recurses into each name's
// sub-selections.
func (w *repeatWalk) group(sets []*ast.SelectionSet) {
	byName := map[string][]*ast.Field{}
	var names []string
	var expanded []string
	var collect func(ss *ast.SelectionSet)
	collect = func(ss *ast.SelectionSet) {
		if ss == nil {
			return
		}
		for _, sel := range ss.Selections {
			switch sel := sel.(type) {
			case *ast.Field:
				if sel.Name == nil {
					continue
				}
				w.visited++
				name := sel.Name.Value
				if sel.Alias != nil && sel.Alias.Value != "" {
					name = sel.Alias.Value
				}
				if _, ok := byName[name]; !ok {
					names = append(names, name)
				}
				byName[name] = append(byName[name], sel)
			case *ast.InlineFragment:
				collect(sel.SelectionSet)
			case *ast.FragmentSpread:
				if sel.Name == nil || w.active[sel.Name.Value] {
					continue
				}
				if f, ok := w.frags[sel.Name.Value]; ok {
					w.active[sel.Name.Value] = true
					expanded = append(expanded, sel.Name.Value)
					collect(f.SelectionSet)
				}
			}
		}
	}
	for _, ss := range sets {
		collect(ss)
	}
	defer func() {
		for _, f := range expanded {
			delete(w.active, f)
		}
	}()
	for _, name := range names {
		if w.visited > w.budget {
			return
		}
		fields := byName[name]
		if len(fields) > w.count {
			w.name, w.count = name, len(fields)
		}
		var children []*ast.SelectionSet
		for _, f := range fields {
			if f.SelectionSet != nil {
				children = append(children, f.SelectionSet)
			}
		}
		if len(children) > 0 {
			w.group(children)
		}
	}
}

func isIntrospection(f *ast.Field) bool {
	return f.Name != nil && (f.Name.Value == "__schema" || f.Name.Value == "__type")
}

// memoWalk measures selection sets, memoising each fragment's measure.
// Fragment cycles (which validation refuses) measure 0 rather than recurse
// forever, so it is safe on unvalidated documents.
type memoWalk struct {
	frags map[string]*ast.FragmentDefinition
	memo  map[string]int
	// field measures one field, given the measure of the selection sets
	// below it (the function to call for them).
	field func(f *ast.Field, set func(*ast.SelectionSet) int) int
}

const inProgress = -1

func (w *memoWalk) set(ss *ast.SelectionSet) int {
	if ss == nil {
		return 0
	}
	best := 0
	for _, sel := range ss.Selections {
		var m int
		switch sel := sel.(type) {
		case *ast.Field:
			m = w.field(sel, w.set)
		case *ast.InlineFragment:
			m = w.set(sel.SelectionSet)
		case *ast.FragmentSpread:
			m = w.spread(sel)
		}
		best = max(best, m)
	}
	return best
}

func (w *memoWalk) spread(s *ast.FragmentSpread) int {
	if s.Name == nil {
		return 0
	}
	name := s.Name.Value
	if m, ok := w.memo[name]; ok {
		return max(m, 0) // a cycle: inProgress counts 0
	}
	f, ok := w.frags[name]
	if !ok {
		return 0
	}
	w.memo[name] = inProgress
	m := w.set(f.SelectionSet)
	w.memo[name] = m
	return m
}

// Depth is how deeply op nests selection sets with its fragments expanded:
// `{ a }` is 1 and `{ a { b { c } } }` is 3. An introspection field counts
// as one level whatever it selects (its recursion is bounded by
// [IntrospectionDepth] instead). It needs no schema and is safe on a
// document that has not been validated.
func Depth(doc *ast.Document, op *ast.OperationDefinition) int {
	w := &memoWalk{frags: fragments(doc), memo: map[string]int{}}
	w.field = func(f *ast.Field, set func(*ast.SelectionSet) int) int {
		if isIntrospection(f) {
			return 1
		}
		return add(1, set(f.SelectionSet))
	}
	return w.set(op.SelectionSet)
}

var introspectionLists = map[string]bool{"fields": true, "interfaces": true, "possibleTypes": true, "inputFields": true}

// IntrospectionDepth is the deepest nesting, under any __schema or __type
// field of op, of the introspection list fields (fields, interfaces,
// possibleTypes, inputFields); see [MaxIntrospectionDepth]. It needs no
// schema and is safe on a document that has not been validated.
func IntrospectionDepth(doc *ast.Document, op *ast.OperationDefinition) int {
	frags := fragments(doc)
	// lists measures the nesting of list fields in a selection set.
	lists := &memoWalk{frags: frags, memo: map[string]int{}}
	lists.field = func(f *ast.Field, set func(*ast.SelectionSet) int) int {
		n := set(f.SelectionSet)
		if f.Name != nil && introspectionLists[f.Name.Value] {
			n = add(n, 1)
		}
		return n
	}
	// find looks for introspection fields and measures below them.
	find := &memoWalk{frags: frags, memo: map[string]int{}}
	find.field = func(f *ast.Field, set func(*ast.SelectionSet) int) int {
		if isIntrospection(f) {
			return lists.set(f.SelectionSet)
		}
		return set(f.SelectionSet)
	}
	return find.set(op.SelectionSet)
}

// sizeArguments are the arguments read as a list field's number of items.
var sizeArguments = map[string]bool{"first": true, "last": true, "limit": true}

// Cost is the static cost of op (see the package comment) with the given
// variables, assuming listSize items for a list field without a size
// argument. readsVariables reports whether a variable's value went into it:
// when false, the cost is the same for every request and can be cached.
// doc must have passed validation against schema.
func Cost(schema *graphql.Schema, doc *ast.Document, op *ast.OperationDefinition, variables map[string]any, listSize int) (cost int, readsVariables bool) {
	c := &costWalk{
		schema:   schema,
		frags:    fragments(doc),
		vars:     variables,
		defaults: map[string]ast.Value{},
		listSize: listSize,
		typed:    map[string]int{},
		untyped:  map[string]int{},
	}
	for _, vd := range op.VariableDefinitions {
		if vd.Variable != nil && vd.Variable.Name != nil && vd.DefaultValue != nil {
			c.defaults[vd.Variable.Name.Value] = vd.DefaultValue
		}
	}
	var root graphql.Type
	switch op.Operation {
	case ast.OperationTypeMutation:
		root = schema.MutationType()
	case ast.OperationTypeSubscription:
		root = schema.SubscriptionType()
	default:
		root = schema.QueryType()
	}
	return c.set(op.SelectionSet, root), c.readsVars
}

type costWalk struct {
	schema    *graphql.Schema
	frags     map[string]*ast.FragmentDefinition
	vars      map[string]any
	defaults  map[string]ast.Value
	listSize  int
	typed     map[string]int // fragment name → cost
	untyped   map[string]int // fragment name → cost inside introspection
	readsVars bool
}

// set is the cost of a selection set on parent: the sum of its fields'.
func (c *costWalk) set(ss *ast.SelectionSet, parent graphql.Type) int {
	if ss == nil {
		return 0
	}
	total := 0
	for _, sel := range ss.Selections {
		switch sel := sel.(type) {
		case *ast.Field:
			total = add(total, c.field(sel, parent))
		case *ast.InlineFragment:
			t := parent
			if sel.TypeCondition != nil && sel.TypeCondition.Name != nil {
				t = c.schema.Type(sel.TypeCondition.Name.Value)
			}
			total = add(total, c.set(sel.SelectionSet, t))
		case *ast.FragmentSpread:
			total = add(total, c.spread(sel, false))
		}
	}
	return total
}

func (c *costWalk) spread(s *ast.FragmentSpread, introspection bool) int {
	if s.Name == nil {
		return 0
	}
	name := s.Name.Value
	memo := c.typed
	if introspection {
		memo = c.untyped
	}
	if m, ok := memo[name]; ok {
		return max(m, 0)
	}
	f, ok := c.frags[name]
	if !ok {
		return 0
	}
	memo[name] = inProgress
	var m int
	if introspection {
		m = c.flat(f.SelectionSet)
	} else {
		var t graphql.Type
		if f.TypeCondition != nil && f.TypeCondition.Name != nil {
			t = c.schema.Type(f.TypeCondition.Name.Value)
		}
		m = c.set(f.SelectionSet, t)
	}
	memo[name] = m
	return m
}

// flat costs 1 a field, for introspection.
func (c *costWalk) flat(ss *ast.SelectionSet) int {
	if ss == nil {
		return 0
	}
	total := 0
	for _, sel := range ss.Selections {
		switch sel := sel.(type) {
		case *ast.Field:
			total = add(total, add(1, c.flat(sel.SelectionSet)))
		case *ast.InlineFragment:
			total = add(total, c.flat(sel.SelectionSet))
		case *ast.FragmentSpread:
			total = add(total, c.spread(sel, true))
		}
	}
	return total
}

func (c *costWalk) field(f *ast.Field, parent graphql.Type) int {
	if f.Name == nil {
		return 0
	}
	if isIntrospection(f) {
		return add(1, c.flat(f.SelectionSet))
	}
	def := fieldDef(parent, f.Name.Value)
	if def == nil {
		// __typename, or a field validation would have refused.
		return add(1, c.flat(f.SelectionSet))
	}
	t := def.Type
	if nn, ok := t.(*graphql.NonNull); ok {
		t = nn.OfType
	}
	items := 1
	if _, ok := t.(*graphql.List); ok {
		items = c.size(f)
	}
	return add(1, mul(items, c.set(f.SelectionSet, named(def.Type))))
}

// named strips List and NonNull from t.
func named(t graphql.Type) graphql.Type {
	for {
		switch w := t.(type) {
		case *graphql.List:
			t = w.OfType
		case *graphql.NonNull:
			t = w.OfType
		default:
			return t
		}
	}
}

func fieldDef(t graphql.Type, name string) *graphql.FieldDefinition {
	switch t := t.(type) {
	case *graphql.Object:
		return t.Fields()[name]
	case *graphql.Interface:
		return t.Fields()[name]
	}
	return nil
}

// size is the number of items a list field is taken to return.
func (c *costWalk) size(f *ast.Field) int {
	for _, arg := range f.Arguments {
		if arg.Name == nil || !sizeArguments[arg.Name.Value] {
			continue
		}
		if n, ok := c.intValue(arg.Value); ok {
			return max(n, 0)
		}
	}
	return c.listSize
}

func (c *costWalk) intValue(v ast.Value) (int, bool) {
	switch v := v.(type) {
	case *ast.IntValue:
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			return saturation, true // out of range: as large as can be
		}
		return int(min(n, saturation)), true
	case *ast.Variable:
		if v.Name == nil {
			return 0, false
		}
		c.readsVars = true
		if val, ok := c.vars[v.Name.Value]; ok && val != nil {
			return number(val)
		}
		if d, ok := c.defaults[v.Name.Value]; ok {
			return c.intValue(d)
		}
	}
	return 0, false
}

// number reads a variable's value as decoded from JSON (or passed in Go).
func number(v any) (int, bool) {
	var f float64
	switch v := v.(type) {
	case float64:
		f = v
	case int:
		f = float64(v)
	case int64:
		f = float64(v)
	case json.Number:
		n, err := v.Float64()
		if err != nil {
			return 0, false
		}
		f = n
	default:
		return 0, false
	}
	if f >= saturation {
		return saturation, true
	}
	return int(f), true
}
