// Package sdl prints a graphql-go schema as GraphQL SDL (graphql-go has no
// printer). The output is deterministic, so that it can be checked in as a
// subgraph's contract and compared in review:
//
//   - custom directive definitions come first, then the schema definition
//     (only when the root types are not named Query, Mutation and
//     Subscription), then every named type sorted by name;
//   - fields, input fields, arguments and enum values are sorted by name;
//     the interfaces an object implements and a union's members keep the
//     order they were defined in;
//   - descriptions are printed as block strings, default values as GraphQL
//     literals, deprecations as @deprecated;
//   - introspection types (__Schema, ...) and the built-in scalars (String,
//     Int, Float, Boolean, ID) are left out, and so are the built-in
//     directives (@include, @skip, @deprecated, @specifiedBy).
//
// Options add directives to types, fields, arguments and enum values (the
// federation directives @key and @shareable, say), put a header before the
// definitions (an `extend schema @link(...)`), and leave types or fields out.
// Types and fields are named by schema coordinates: "Type", "Type.field",
// "Type.field(arg:)", "Enum.VALUE", "Input.field".
//
// It imports graphql-go only.
package sdl

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"
)

// Options change what Print prints. The zero value prints the schema as it is.
type Options struct {
	// Header is printed first, followed by a blank line: for instance
	// `extend schema @link(url: "...", import: ["@key"])`.
	Header string
	// Directives returns the directives applied at a schema coordinate
	// ("Type", "Type.field", "Type.field(arg:)", "Enum.VALUE",
	// "Input.field"), each as SDL such as `@key(fields: "id")`. They are
	// printed in the order returned, after any @deprecated.
	Directives func(coordinate string) []string
	// Skip reports whether the type or field at a coordinate ("Type",
	// "Type.field", "Enum.VALUE", "Input.field") is left out. A skipped type
	// is left out of the schema definition, the union members and the
	// implemented interfaces as well; fields of other types that refer to it
	// are not, so skip those too. An object, interface or input type whose
	// fields are all skipped is left out.
	Skip func(coordinate string) bool
	// NoDescriptions leaves descriptions out.
	NoDescriptions bool
}

// builtinScalars and builtinDirectives are defined by the GraphQL spec and
// never printed.
var (
	builtinScalars    = []string{"String", "Int", "Float", "Boolean", "ID"}
	builtinDirectives = []string{"include", "skip", "deprecated", "specifiedBy"}
)

// Print prints the schema's own types as SDL.
func Print(s graphql.Schema, opts Options) string {
	p := printer{opts: opts}
	var defs []string
	if h := strings.TrimSpace(opts.Header); h != "" {
		defs = append(defs, h)
	}
	var directives []*graphql.Directive
	for _, d := range s.Directives() {
		if d != nil && !slices.Contains(builtinDirectives, d.Name) {
			directives = append(directives, d)
		}
	}
	sort.Slice(directives, func(i, j int) bool { return directives[i].Name < directives[j].Name })
	for _, d := range directives {
		defs = append(defs, p.directive(d))
	}
	if def := p.schemaDefinition(s); def != "" {
		defs = append(defs, def)
	}
	names := make([]string, 0, len(s.TypeMap()))
	for name := range s.TypeMap() {
		if strings.HasPrefix(name, "__") || slices.Contains(builtinScalars, name) || p.skip(name) {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if def := p.namedType(s.TypeMap()[name]); def != "" {
			defs = append(defs, def)
		}
	}
	if len(defs) == 0 {
		return ""
	}
	return strings.Join(defs, "\n\n") + "\n"
}

type printer struct{ opts Options }

func (p printer) skip(coordinate string) bool {
	return p.opts.Skip != nil && p.opts.Skip(coordinate)
}

// applied is the directives at a coordinate, each preceded by a space.
func (p printer) applied(coordinate, deprecationReason string) string {
	var b strings.Builder
	switch deprecationReason {
	case "":
	case graphql.DefaultDeprecationReason:
		b.WriteString(" @deprecated")
	default:
		b.WriteString(" @deprecated(reason: " + quote(deprecationReason) + ")")
	}
	if p.opts.Directives != nil {
		for _, d := range p.opts.Directives(coordinate) {
			if d = strings.TrimSpace(d); d != "" {
				b.WriteString(" " + d)
			}
		}
	}
	return b.String()
}

// description is the description block (with a trailing newline) at the
// given indentation, or "".
func (p printer) description(desc, indent string) string {
	if desc == "" || p.opts.NoDescriptions {
		return ""
	}
	return BlockString(desc, indent) + "\n"
}

func (p printer) schemaDefinition(s graphql.Schema) string {
	roots := []struct {
		op   string
		t    *graphql.Object
		want string
	}{
		{"query", s.QueryType(), "Query"},
		{"mutation", s.MutationType(), "Mutation"},
		{"subscription", s.SubscriptionType(), "Subscription"},
	}
	conventional := true
	var lines []string
	for _, r := range roots {
		if r.t == nil || p.skip(r.t.Name()) {
			continue
		}
		if r.t.Name() != r.want {
			conventional = false
		}
		lines = append(lines, "  "+r.op+": "+r.t.Name())
	}
	if conventional || len(lines) == 0 {
		return ""
	}
	return "schema {\n" + strings.Join(lines, "\n") + "\n}"
}

func (p printer) namedType(t graphql.Type) string {
	name := t.Name()
	head := p.description(t.Description(), "")
	switch t := t.(type) {
	case *graphql.Scalar:
		return head + "scalar " + name + p.applied(name, "")
	case *graphql.Object:
		fields := p.fields(name, t.Fields())
		if fields == "" {
			return ""
		}
		return head + "type " + name + p.implements(t.Interfaces()) + p.applied(name, "") + fields
	case *graphql.Interface:
		fields := p.fields(name, t.Fields())
		if fields == "" {
			return ""
		}
		return head + "interface " + name + p.applied(name, "") + fields
	case *graphql.Union:
		var members []string
		for _, o := range t.Types() {
			if !p.skip(o.Name()) {
				members = append(members, o.Name())
			}
		}
		def := head + "union " + name + p.applied(name, "")
		if len(members) > 0 {
			def += " = " + strings.Join(members, " | ")
		}
		return def
	case *graphql.Enum:
		values := slices.Clone(t.Values())
		sort.Slice(values, func(i, j int) bool { return values[i].Name < values[j].Name })
		var b strings.Builder
		b.WriteString(head + "enum " + name + p.applied(name, "") + " {\n")
		for _, v := range values {
			c := name + "." + v.Name
			if p.skip(c) {
				continue
			}
			b.WriteString(p.description(v.Description, "  "))
			b.WriteString("  " + v.Name + p.applied(c, v.DeprecationReason) + "\n")
		}
		b.WriteString("}")
		return b.String()
	case *graphql.InputObject:
		fields := t.Fields()
		var b strings.Builder
		for _, fn := range sortedKeys(fields) {
			c := name + "." + fn
			if p.skip(c) {
				continue
			}
			f := fields[fn]
			b.WriteString(p.description(f.Description(), "  "))
			b.WriteString("  " + fn + ": " + f.Type.String() + defaultValue(f.DefaultValue, f.Type) + p.applied(c, "") + "\n")
		}
		if b.Len() == 0 {
			return ""
		}
		return head + "input " + name + p.applied(name, "") + " {\n" + b.String() + "}"
	}
	return ""
}

func (p printer) implements(ifaces []*graphql.Interface) string {
	var names []string
	for _, i := range ifaces {
		if !p.skip(i.Name()) {
			names = append(names, i.Name())
		}
	}
	if len(names) == 0 {
		return ""
	}
	return " implements " + strings.Join(names, " & ")
}

// fields is the " {...}" block of an object or interface type, "" when
// every field is skipped.
func (p printer) fields(typeName string, fields graphql.FieldDefinitionMap) string {
	var b strings.Builder
	for _, fn := range sortedKeys(fields) {
		c := typeName + "." + fn
		if p.skip(c) {
			continue
		}
		f := fields[fn]
		b.WriteString(p.description(f.Description, "  "))
		b.WriteString("  " + fn + p.args(c, f.Args, "  ") + ": " + f.Type.String() + p.applied(c, f.DeprecationReason) + "\n")
	}
	if b.Len() == 0 {
		return ""
	}
	return " {\n" + b.String() + "}"
}

// args is a field's or directive's argument list, "" when it has none. It is
// on one line unless an argument has a description.
func (p printer) args(coordinate string, args []*graphql.Argument, indent string) string {
	if len(args) == 0 {
		return ""
	}
	sorted := slices.Clone(args)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name() < sorted[j].Name() })
	multiline := false
	for _, a := range sorted {
		if a.Description() != "" && !p.opts.NoDescriptions {
			multiline = true
		}
	}
	parts := make([]string, len(sorted))
	for i, a := range sorted {
		parts[i] = a.Name() + ": " + a.Type.String() + defaultValue(a.DefaultValue, a.Type) + p.applied(coordinate+"("+a.Name()+":)", "")
	}
	if !multiline {
		return "(" + strings.Join(parts, ", ") + ")"
	}
	var b strings.Builder
	b.WriteString("(\n")
	for i, a := range sorted {
		b.WriteString(p.description(a.Description(), indent+"  "))
		b.WriteString(indent + "  " + parts[i] + "\n")
	}
	b.WriteString(indent + ")")
	return b.String()
}

func (p printer) directive(d *graphql.Directive) string {
	return p.description(d.Description, "") + "directive @" + d.Name + p.args("@"+d.Name, d.Args, "") + " on " + strings.Join(d.Locations, " | ")
}

// BlockString is a description as a GraphQL block string: on one line when
// it fits ("""text"""), else with the text on lines of its own, each
// indented by indent. A `"""` in the text is escaped.
func BlockString(text, indent string) string {
	text = strings.ReplaceAll(text, `"""`, `\"""`)
	oneLine := !strings.ContainsAny(text, "\n\r") && !strings.HasSuffix(text, `"`) &&
		!strings.HasPrefix(text, " ") && !strings.HasPrefix(text, "\t")
	if oneLine {
		return indent + `"""` + text + `"""`
	}
	var b strings.Builder
	b.WriteString(indent + `"""` + "\n")
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(indent + line + "\n")
	}
	b.WriteString(indent + `"""`)
	return b.String()
}

// defaultValue is " = <literal>" for a default value, or "".
func defaultValue(v any, t graphql.Input) string {
	if v == nil {
		return ""
	}
	return " = " + Value(v, t)
}

// Value prints a Go value as a GraphQL literal of the input type t (nil t:
// guessed from the Go value): enum values by name, input objects with their
// fields sorted, a non-list value of a list type as itself (GraphQL's input
// coercion makes it a list of one).
func Value(v any, t graphql.Input) string {
	if v == nil {
		return "null"
	}
	if nn, ok := t.(*graphql.NonNull); ok {
		inner, _ := nn.OfType.(graphql.Input)
		return Value(v, inner)
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return "null"
		}
		rv = rv.Elem()
	}
	v = rv.Interface()
	switch t := t.(type) {
	case *graphql.List:
		item, _ := t.OfType.(graphql.Input)
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			return Value(v, item)
		}
		return list(rv, item)
	case *graphql.Enum:
		for _, ev := range t.Values() {
			if reflect.DeepEqual(ev.Value, v) {
				return ev.Name
			}
		}
		if s, ok := v.(string); ok {
			for _, ev := range t.Values() {
				if ev.Name == s {
					return s
				}
			}
		}
	case *graphql.InputObject:
		if rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String {
			return object(rv, t.Fields())
		}
	case *graphql.Scalar:
		if s := t.Serialize(v); s != nil {
			v = s
			rv = reflect.ValueOf(v)
		}
	}
	return literal(rv)
}

func list(rv reflect.Value, item graphql.Input) string {
	parts := make([]string, rv.Len())
	for i := range parts {
		parts[i] = Value(rv.Index(i).Interface(), item)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// object prints a map with string keys as an input object literal, its
// fields sorted.
func object(rv reflect.Value, fields graphql.InputObjectFieldMap) string {
	keys := make([]string, 0, rv.Len())
	for _, k := range rv.MapKeys() {
		keys = append(keys, k.String())
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		var ft graphql.Input
		if f := fields[k]; f != nil {
			ft = f.Type
		}
		v := rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key()))
		parts = append(parts, k+": "+Value(v.Interface(), ft))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// literal prints a Go value without type information.
func literal(rv reflect.Value) string {
	switch rv.Kind() {
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "null"
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	case reflect.String:
		return quote(rv.String())
	case reflect.Slice, reflect.Array:
		return list(rv, nil)
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			return object(rv, nil)
		}
	}
	if s, ok := rv.Interface().(fmt.Stringer); ok {
		return quote(s.String())
	}
	return quote(fmt.Sprint(rv.Interface()))
}

// quote is a GraphQL string literal.
func quote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return strconv.Quote(s)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
