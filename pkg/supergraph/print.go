package supergraph

import (
	"encoding/json"
	"strings"

	"github.com/graphql-go/graphql/language/ast"
)

// graphql-go's printer converts the AST to JSON and back through its
// visitor, which takes seconds for a service's schema: the gateway prints
// the small executable documents it sends itself, and composes SDL from
// the subgraphs' source text.

// printOperation prints an operation.
func printOperation(op string, defs []*ast.VariableDefinition, sels []ast.Selection) string {
	var b strings.Builder
	b.WriteString(op)
	if len(defs) > 0 {
		b.WriteString("(")
		for i, d := range defs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("$" + d.Variable.Name.Value + ": ")
			printType(&b, d.Type)
			if d.DefaultValue != nil {
				b.WriteString(" = ")
				printValue(&b, d.DefaultValue)
			}
		}
		b.WriteString(")")
	}
	b.WriteString(" ")
	printSelections(&b, sels)
	return b.String()
}

func printSelections(b *strings.Builder, sels []ast.Selection) {
	b.WriteString("{")
	for _, s := range sels {
		b.WriteString(" ")
		printSelection(b, s)
	}
	b.WriteString(" }")
}

func printSelection(b *strings.Builder, s ast.Selection) {
	switch s := s.(type) {
	case *ast.Field:
		printField(b, s)
	case *ast.InlineFragment:
		b.WriteString("...")
		if s.TypeCondition != nil {
			b.WriteString(" on " + s.TypeCondition.Name.Value)
		}
		printDirectives(b, s.Directives)
		b.WriteString(" ")
		var sels []ast.Selection
		if s.SelectionSet != nil {
			sels = s.SelectionSet.Selections
		}
		printSelections(b, sels)
	case *ast.FragmentSpread:
		// The planner inlines fragments; a spread is never printed.
	}
}

func printField(b *strings.Builder, f *ast.Field) {
	if f.Alias != nil && f.Alias.Value != "" {
		b.WriteString(f.Alias.Value + ": ")
	}
	b.WriteString(f.Name.Value)
	printArguments(b, f.Arguments)
	printDirectives(b, f.Directives)
	if f.SelectionSet != nil {
		b.WriteString(" ")
		printSelections(b, f.SelectionSet.Selections)
	}
}

func printArguments(b *strings.Builder, args []*ast.Argument) {
	if len(args) == 0 {
		return
	}
	b.WriteString("(")
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Name.Value + ": ")
		printValue(b, a.Value)
	}
	b.WriteString(")")
}

func printDirectives(b *strings.Builder, ds []*ast.Directive) {
	for _, d := range ds {
		b.WriteString(" @" + d.Name.Value)
		printArguments(b, d.Arguments)
	}
}

func printType(b *strings.Builder, t ast.Type) {
	switch t := t.(type) {
	case *ast.Named:
		b.WriteString(t.Name.Value)
	case *ast.List:
		b.WriteString("[")
		printType(b, t.Type)
		b.WriteString("]")
	case *ast.NonNull:
		printType(b, t.Type)
		b.WriteString("!")
	}
}

func printValue(b *strings.Builder, v ast.Value) {
	switch v := v.(type) {
	case *ast.Variable:
		b.WriteString("$" + v.Name.Value)
	case *ast.IntValue:
		b.WriteString(v.Value)
	case *ast.FloatValue:
		b.WriteString(v.Value)
	case *ast.StringValue:
		q, _ := json.Marshal(v.Value)
		b.Write(q)
	case *ast.BooleanValue:
		if v.Value {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case *ast.EnumValue:
		b.WriteString(v.Value)
	case *ast.ListValue:
		b.WriteString("[")
		for i, x := range v.Values {
			if i > 0 {
				b.WriteString(", ")
			}
			printValue(b, x)
		}
		b.WriteString("]")
	case *ast.ObjectValue:
		b.WriteString("{")
		for i, f := range v.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.Name.Value + ": ")
			printValue(b, f.Value)
		}
		b.WriteString("}")
	default:
		b.WriteString("null")
	}
}
