package supergraph

import (
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// placeholderKey marks the placeholder object completed for a non-null
// field whose fetch failed; Do replaces it by null propagation.
const placeholderKey = "_fplaceholder"

// placeholder is a value that completes without error for type t: null for
// nullable types, and for non-null ones an empty list, a zero scalar or an
// object whose fields are placeholders too.
func placeholder(schema graphql.Schema, t graphql.Type) any {
	nn, ok := t.(*graphql.NonNull)
	if !ok {
		return nil
	}
	switch t := nn.OfType.(type) {
	case *graphql.List:
		return []any{}
	case *graphql.Enum:
		if vs := t.Values(); len(vs) > 0 {
			return vs[0].Value
		}
	case *graphql.Scalar:
		switch t.Name() {
		case "Int":
			return 0
		case "Float":
			return 0.0
		case "Boolean":
			return false
		}
		return ""
	case *graphql.Object:
		return map[string]any{placeholderKey: true, typenameAlias: t.Name()}
	case graphql.Abstract:
		if ts := schema.PossibleTypes(t); len(ts) > 0 {
			return map[string]any{placeholderKey: true, typenameAlias: ts[0].Name()}
		}
	}
	return nil
}

// nullify sets each path to null and propagates the null up to the
// nearest nullable ancestor, as graphql-go would have done had the field
// not been resolved by a thunk.
func (s *Supergraph) nullify(doc *ast.Document, operationName string, data map[string]any, paths [][]any) any {
	if doc == nil {
		return data
	}
	var op *ast.OperationDefinition
	frags := map[string]*ast.FragmentDefinition{}
	for _, d := range doc.Definitions {
		switch d := d.(type) {
		case *ast.OperationDefinition:
			if op == nil && (operationName == "" || d.Name != nil && d.Name.Value == operationName) {
				op = d
			}
		case *ast.FragmentDefinition:
			frags[d.Name.Value] = d
		}
	}
	if op == nil {
		return data
	}
	root := s.schema.QueryType()
	if op.Operation == ast.OperationTypeMutation {
		root = s.schema.MutationType()
	}
	for _, path := range paths {
		if s.nullifyPath(data, path, root, op.SelectionSet, frags) {
			return nil
		}
	}
	return data
}

type step struct {
	container any // map[string]any or []any
	key       any
	typ       graphql.Type
}

// nullifyPath reports whether the null reaches the root.
func (s *Supergraph) nullifyPath(data map[string]any, path []any, root *graphql.Object, sel *ast.SelectionSet, frags map[string]*ast.FragmentDefinition) bool {
	var steps []step
	var cur any = data
	var curType graphql.Type = root
	for _, seg := range path {
		switch k := seg.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return false
			}
			fields, typeName := findFields(sel, k, namedOf(curType), frags)
			if len(fields) == 0 {
				return false
			}
			var def *graphql.FieldDefinition
			switch t := s.schema.Type(typeName).(type) {
			case *graphql.Object:
				def = t.Fields()[fields[0].Name.Value]
			case *graphql.Interface:
				def = t.Fields()[fields[0].Name.Value]
			}
			if def == nil {
				return false
			}
			merged := &ast.SelectionSet{}
			for _, f := range fields {
				if f.SelectionSet != nil {
					merged.Selections = append(merged.Selections, f.SelectionSet.Selections...)
				}
			}
			steps = append(steps, step{m, k, def.Type})
			cur, curType, sel = m[k], def.Type, merged
		case int:
			l, ok := cur.([]any)
			if !ok || k < 0 || k >= len(l) {
				return false
			}
			t := curType
			if nn, ok := t.(*graphql.NonNull); ok {
				t = nn.OfType
			}
			lt, ok := t.(*graphql.List)
			if !ok {
				return false
			}
			steps = append(steps, step{l, k, lt.OfType})
			cur, curType = l[k], lt.OfType
		default:
			return false
		}
	}
	for j := len(steps) - 1; j >= 0; j-- {
		switch c := steps[j].container.(type) {
		case map[string]any:
			c[steps[j].key.(string)] = nil
		case []any:
			c[steps[j].key.(int)] = nil
		}
		if _, nn := steps[j].typ.(*graphql.NonNull); !nn {
			return false
		}
	}
	return len(steps) > 0
}

func namedOf(t graphql.Type) string {
	for {
		switch tt := t.(type) {
		case *graphql.NonNull:
			t = tt.OfType
		case *graphql.List:
			t = tt.OfType
		case nil:
			return ""
		default:
			return t.Name()
		}
	}
}

// findFields are the fields with a response key in a selection set, and
// the type they are selected on.
func findFields(sel *ast.SelectionSet, key, typeName string, frags map[string]*ast.FragmentDefinition) ([]*ast.Field, string) {
	if sel == nil {
		return nil, typeName
	}
	var out []*ast.Field
	on := typeName
	for _, s := range sel.Selections {
		var fs []*ast.Field
		t := typeName
		switch s := s.(type) {
		case *ast.Field:
			if responseKey(s) == key {
				fs = []*ast.Field{s}
			}
		case *ast.InlineFragment:
			if s.TypeCondition != nil {
				t = s.TypeCondition.Name.Value
			}
			fs, t = findFields(s.SelectionSet, key, t, frags)
		case *ast.FragmentSpread:
			if d := frags[s.Name.Value]; d != nil {
				fs, t = findFields(d.SelectionSet, key, d.TypeCondition.Name.Value, frags)
			}
		}
		if len(fs) > 0 {
			if len(out) == 0 {
				on = t
			}
			out = append(out, fs...)
		}
	}
	return out, on
}
