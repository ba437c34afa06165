// Package schemabuild builds an executable graphql-go schema from SDL, such
// as a federated subgraph's `_service { sdl }` (graphql-go can parse SDL but
// not build a schema from it). The gateway uses it to execute against
// subgraph results: by default every field reads its value from a
// map[string]any source keyed by field name, which is what a subgraph's JSON
// response decodes to when the gateway fetches without aliases.
//
// Supported: object types (with `extend type` merged in), interfaces,
// unions, enums, input objects, custom scalars, descriptions, argument and
// input field defaults, @deprecated, and a `schema { query: ... }`
// definition (otherwise the roots are Query, Mutation and Subscription).
// Types may refer to each other in any order. `extend schema ...` (the
// federation `@link`) is accepted and otherwise ignored, and so are
// directive definitions. Every applied directive other than @deprecated
// (@key, @shareable, @inaccessible, @external, @requires, @provides, ...)
// is kept in a side table by schema coordinate, read with Table.Directives.
//
// Coordinates are those of pkg/gql/sdl: "Type", "Type.field",
// "Type.field(arg:)", "Enum.VALUE", "Input.field"; the directives of
// `extend schema` are at coordinate "" (SchemaCoordinate).
package schemabuild

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/lexer"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
)

// SchemaCoordinate is the coordinate of directives applied to the schema
// (`extend schema @link(...)`).
const SchemaCoordinate = ""

// Options change how Build builds the schema. The zero value is usable.
type Options struct {
	// Resolve returns the resolver of a field. When Resolve is nil or
	// returns nil, the field reads source[fieldName] from a map[string]any
	// source (any other source: graphql.DefaultResolveFn).
	Resolve func(typeName, fieldName string) graphql.FieldResolveFn
	// Subscribe returns the Subscribe resolver (the source stream, as
	// graphql.ExecuteSubscription wants it) of a field, or nil.
	Subscribe func(typeName, fieldName string) graphql.FieldResolveFn
	// ResolveType picks the object type of a union or interface value. By
	// default it reads "__typename" from a map[string]any source.
	ResolveType func(p graphql.ResolveTypeParams) *graphql.Object
	// Scalars configures custom scalars by name (Name and Description are
	// taken from the SDL when empty). A scalar not listed passes JSON
	// values through unchanged.
	Scalars map[string]graphql.ScalarConfig
	// HideInaccessible leaves out types, fields, arguments, enum values and
	// input fields marked @inaccessible.
	HideInaccessible bool
}

// Directive is a directive applied in the SDL, such as @key(fields: "id").
type Directive struct {
	// Name is the directive's name without the @: "key".
	Name string
	// Args are the arguments as Go values (string, int, float64, bool,
	// []any, map[string]any; enum values as their name).
	Args map[string]any
	// SDL is the directive as written: `@key(fields: "id")`.
	SDL string
}

// Table holds the directives applied in an SDL document, by coordinate.
type Table struct{ m map[string][]Directive }

// Directives returns the directives applied at a coordinate, in the order
// written (nil for none).
func (t *Table) Directives(coordinate string) []Directive {
	if t == nil {
		return nil
	}
	return t.m[coordinate]
}

// Coordinates returns every coordinate that has directives, sorted.
func (t *Table) Coordinates() []string {
	if t == nil {
		return nil
	}
	cs := make([]string, 0, len(t.m))
	for c := range t.m {
		cs = append(cs, c)
	}
	sort.Strings(cs)
	return cs
}

// Build builds an executable schema from SDL.
func Build(doc string, opts Options) (graphql.Schema, error) {
	s, _, err := BuildWithDirectives(doc, opts)
	return s, err
}

// BuildWithDirectives is Build that also returns the side table of applied
// directives.
func BuildWithDirectives(doc string, opts Options) (graphql.Schema, *Table, error) {
	b, err := parse(doc, opts)
	if err != nil {
		return graphql.Schema{}, nil, err
	}
	if err := b.check(); err != nil {
		return graphql.Schema{}, b.table, err
	}
	s, err := b.build()
	if err != nil {
		return graphql.Schema{}, b.table, fmt.Errorf("schemabuild: %w", err)
	}
	return s, b.table, nil
}

// builder holds the parsed definitions and the graphql-go types built so
// far. Named types are created first, with thunks for their fields, so that
// definitions can refer to each other in any order.
type builder struct {
	opts   Options
	src    string
	table  *Table
	order  []string            // type names in document order
	defs   map[string]ast.Node // type definitions, extensions merged in
	roots  map[string]string   // operation ("query") -> type name
	types  map[string]graphql.Type
	hidden map[string]bool // coordinates marked @inaccessible
}

// parse parses the document, merges `extend type` into the definitions and
// fills the directive table.
func parse(doc string, opts Options) (*builder, error) {
	src, schemaExtensions, err := blankSchemaExtensions(doc)
	if err != nil {
		return nil, fmt.Errorf("schemabuild: %w", err)
	}
	d, err := parser.Parse(parser.ParseParams{Source: &source.Source{Body: []byte(src), Name: "SDL"}})
	if err != nil {
		return nil, fmt.Errorf("schemabuild: %w", err)
	}
	b := &builder{
		opts: opts, src: src, table: &Table{m: map[string][]Directive{}},
		defs: map[string]ast.Node{}, roots: map[string]string{}, hidden: map[string]bool{},
		types: map[string]graphql.Type{
			"String": graphql.String, "Int": graphql.Int, "Float": graphql.Float,
			"Boolean": graphql.Boolean, "ID": graphql.ID,
		},
	}
	var extensions []*ast.ObjectDefinition
	for _, def := range d.Definitions {
		switch def := def.(type) {
		case *ast.SchemaDefinition:
			for _, ot := range def.OperationTypes {
				b.roots[ot.Operation] = ot.Type.Name.Value
			}
			b.record(SchemaCoordinate, def.Directives)
		case *ast.ScalarDefinition:
			if def.Loc != nil && schemaExtensions[def.Loc.Start] {
				b.record(SchemaCoordinate, def.Directives) // see blankSchemaExtensions
				continue
			}
			err = b.define(def.Name.Value, def)
		case *ast.ObjectDefinition:
			err = b.define(def.Name.Value, def)
		case *ast.InterfaceDefinition:
			err = b.define(def.Name.Value, def)
		case *ast.UnionDefinition:
			err = b.define(def.Name.Value, def)
		case *ast.EnumDefinition:
			err = b.define(def.Name.Value, def)
		case *ast.InputObjectDefinition:
			err = b.define(def.Name.Value, def)
		case *ast.TypeExtensionDefinition:
			extensions = append(extensions, def.Definition)
		case *ast.DirectiveDefinition:
			// Directive definitions (@key, ...) are not needed to execute.
		default:
			err = fmt.Errorf("unexpected %s in SDL", def.GetKind())
		}
		if err != nil {
			return nil, fmt.Errorf("schemabuild: %w", err)
		}
	}
	// Merge extensions into copies of their object definitions.
	for _, ext := range extensions {
		base, ok := b.defs[ext.Name.Value].(*ast.ObjectDefinition)
		if !ok {
			return nil, fmt.Errorf("schemabuild: extend type %s: no such object type", ext.Name.Value)
		}
		merged := *base
		merged.Interfaces = append(slices.Clone(base.Interfaces), ext.Interfaces...)
		merged.Directives = append(slices.Clone(base.Directives), ext.Directives...)
		merged.Fields = append(slices.Clone(base.Fields), ext.Fields...)
		b.defs[ext.Name.Value] = &merged
	}
	b.collect()
	return b, nil
}

func (b *builder) define(name string, def ast.Node) error {
	if _, dup := b.defs[name]; dup || b.types[name] != nil {
		return fmt.Errorf("type %s is defined twice", name)
	}
	b.defs[name] = def
	b.order = append(b.order, name)
	return nil
}

// collect records the applied directives of every definition (and whether
// it is @inaccessible).
func (b *builder) collect() {
	args := func(coordinate string, args []*ast.InputValueDefinition) {
		for _, a := range args {
			b.record(coordinate+"("+a.Name.Value+":)", a.Directives)
		}
	}
	fields := func(typeName string, fs []*ast.FieldDefinition) {
		for _, f := range fs {
			c := typeName + "." + f.Name.Value
			b.record(c, f.Directives)
			args(c, f.Arguments)
		}
	}
	for _, name := range b.order {
		switch def := b.defs[name].(type) {
		case *ast.ScalarDefinition:
			b.record(name, def.Directives)
		case *ast.ObjectDefinition:
			b.record(name, def.Directives)
			fields(name, def.Fields)
		case *ast.InterfaceDefinition:
			b.record(name, def.Directives)
			fields(name, def.Fields)
		case *ast.UnionDefinition:
			b.record(name, def.Directives)
		case *ast.EnumDefinition:
			b.record(name, def.Directives)
			for _, v := range def.Values {
				b.record(name+"."+v.Name.Value, v.Directives)
			}
		case *ast.InputObjectDefinition:
			b.record(name, def.Directives)
			for _, f := range def.Fields {
				b.record(name+"."+f.Name.Value, f.Directives)
			}
		}
	}
}

// record adds directives to the table, except @deprecated, which the schema
// itself carries.
func (b *builder) record(coordinate string, ds []*ast.Directive) {
	for _, d := range ds {
		name := d.Name.Value
		if name == "deprecated" {
			continue
		}
		if name == "inaccessible" {
			b.hidden[coordinate] = true
		}
		dir := Directive{Name: name, Args: map[string]any{}, SDL: "@" + name}
		if d.Loc != nil {
			dir.SDL = strings.TrimSpace(b.src[d.Loc.Start:d.Loc.End])
		}
		for _, a := range d.Arguments {
			dir.Args[a.Name.Value] = literal(a.Value)
		}
		b.table.m[coordinate] = append(b.table.m[coordinate], dir)
	}
}

// hide reports whether the type or field at a coordinate is left out.
func (b *builder) hide(coordinate string) bool {
	return b.opts.HideInaccessible && b.hidden[coordinate]
}

// check reports references to types that are not defined (or are hidden),
// so that the thunks that build fields later cannot fail.
func (b *builder) check() error {
	var errs []string
	ref := func(where string, t ast.Type) {
		for {
			switch tt := t.(type) {
			case *ast.NonNull:
				t = tt.Type
				continue
			case *ast.List:
				t = tt.Type
				continue
			case *ast.Named:
				if !b.visible(tt.Name.Value) {
					errs = append(errs, fmt.Sprintf("%s refers to unknown type %s", where, tt.Name.Value))
				}
			default: // graphql-go's parser lets `a: }` through
				errs = append(errs, where+" has no type")
			}
			return
		}
	}
	for op, name := range b.roots {
		ref("schema "+op, ast.NewNamed(&ast.Named{Name: ast.NewName(&ast.Name{Value: name})}))
	}
	fields := func(typeName string, fs []*ast.FieldDefinition) {
		for _, f := range fs {
			c := typeName + "." + f.Name.Value
			if b.hide(c) {
				continue
			}
			ref(c, f.Type)
			for _, a := range f.Arguments {
				if ac := c + "(" + a.Name.Value + ":)"; !b.hide(ac) {
					ref(ac, a.Type)
				}
			}
		}
	}
	for _, name := range b.order {
		if b.hide(name) {
			continue
		}
		switch def := b.defs[name].(type) {
		case *ast.ObjectDefinition:
			fields(name, def.Fields)
			for _, i := range def.Interfaces {
				if !b.hide(i.Name.Value) { // a hidden interface is dropped
					ref(name+" implements", i)
				}
			}
		case *ast.InterfaceDefinition:
			fields(name, def.Fields)
		case *ast.UnionDefinition:
			for _, m := range def.Types {
				if !b.hide(m.Name.Value) { // a hidden member is dropped
					ref("union "+name, m)
				}
			}
		case *ast.InputObjectDefinition:
			for _, f := range def.Fields {
				if c := name + "." + f.Name.Value; !b.hide(c) {
					ref(c, f.Type)
				}
			}
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return fmt.Errorf("schemabuild: %s", strings.Join(errs, "; "))
	}
	return nil
}

// visible reports whether a named type exists and is not hidden.
func (b *builder) visible(name string) bool {
	if b.types[name] != nil { // built-in scalar
		return true
	}
	_, ok := b.defs[name]
	return ok && !b.hide(name)
}

// build creates every named type (objects, interfaces and input objects
// with thunks for their fields, unions once all objects exist) and the
// schema.
func (b *builder) build() (graphql.Schema, error) {
	var all []graphql.Type
	var unions []*ast.UnionDefinition
	for _, name := range b.order {
		if b.hide(name) {
			continue
		}
		var t graphql.Type
		switch def := b.defs[name].(type) {
		case *ast.ScalarDefinition:
			t = b.scalar(def)
		case *ast.ObjectDefinition:
			t = graphql.NewObject(graphql.ObjectConfig{
				Name: name, Description: describe(def.Description),
				Interfaces: graphql.InterfacesThunk(func() []*graphql.Interface {
					var out []*graphql.Interface
					for _, i := range def.Interfaces {
						if b.hide(i.Name.Value) {
							continue
						}
						out = append(out, b.types[i.Name.Value].(*graphql.Interface))
					}
					return out
				}),
				Fields: graphql.FieldsThunk(func() graphql.Fields { return b.fields(name, def.Fields) }),
			})
		case *ast.InterfaceDefinition:
			t = graphql.NewInterface(graphql.InterfaceConfig{
				Name: name, Description: describe(def.Description), ResolveType: b.resolveType,
				Fields: graphql.FieldsThunk(func() graphql.Fields { return b.fields(name, def.Fields) }),
			})
		case *ast.UnionDefinition:
			unions = append(unions, def)
			continue
		case *ast.EnumDefinition:
			t = b.enum(def)
		case *ast.InputObjectDefinition:
			t = graphql.NewInputObject(graphql.InputObjectConfig{
				Name: name, Description: describe(def.Description),
				Fields: graphql.InputObjectConfigFieldMapThunk(func() graphql.InputObjectConfigFieldMap {
					fields := graphql.InputObjectConfigFieldMap{}
					for _, f := range def.Fields {
						if b.hide(name + "." + f.Name.Value) {
							continue
						}
						typ := b.typeRef(f.Type).(graphql.Input)
						fields[f.Name.Value] = &graphql.InputObjectFieldConfig{
							Type: typ, Description: describe(f.Description), DefaultValue: b.value(f.DefaultValue, typ),
						}
					}
					return fields
				}),
			})
		}
		b.types[name] = t
		all = append(all, t)
	}
	for _, def := range unions {
		var members []*graphql.Object
		for _, m := range def.Types {
			if b.hide(m.Name.Value) {
				continue
			}
			members = append(members, b.types[m.Name.Value].(*graphql.Object))
		}
		t := graphql.NewUnion(graphql.UnionConfig{
			Name: def.Name.Value, Description: describe(def.Description),
			Types: members, ResolveType: b.resolveType,
		})
		b.types[def.Name.Value] = t
		all = append(all, t)
	}
	root := func(op, conventional string) (*graphql.Object, error) {
		name, ok := b.roots[op]
		if !ok {
			name = conventional
		}
		t, ok := b.types[name]
		if !ok {
			return nil, nil
		}
		o, ok := t.(*graphql.Object)
		if !ok {
			return nil, fmt.Errorf("%s root type %s is not an object type", op, name)
		}
		return o, nil
	}
	var cfg graphql.SchemaConfig
	var err error
	if cfg.Query, err = root("query", "Query"); err != nil {
		return graphql.Schema{}, err
	}
	if cfg.Query == nil {
		return graphql.Schema{}, fmt.Errorf("no query root type")
	}
	if cfg.Mutation, err = root("mutation", "Mutation"); err != nil {
		return graphql.Schema{}, err
	}
	if cfg.Subscription, err = root("subscription", "Subscription"); err != nil {
		return graphql.Schema{}, err
	}
	cfg.Types = all
	return graphql.NewSchema(cfg)
}

// fields builds the fields of an object or interface type.
func (b *builder) fields(typeName string, defs []*ast.FieldDefinition) graphql.Fields {
	fields := graphql.Fields{}
	for _, f := range defs {
		c := typeName + "." + f.Name.Value
		if b.hide(c) {
			continue
		}
		field := &graphql.Field{
			Name: f.Name.Value, Type: b.typeRef(f.Type).(graphql.Output),
			Description: describe(f.Description), DeprecationReason: deprecation(f.Directives),
			Resolve: resolveFromMap,
		}
		if b.opts.Resolve != nil {
			if r := b.opts.Resolve(typeName, f.Name.Value); r != nil {
				field.Resolve = r
			}
		}
		if b.opts.Subscribe != nil {
			field.Subscribe = b.opts.Subscribe(typeName, f.Name.Value)
		}
		if len(f.Arguments) > 0 {
			field.Args = graphql.FieldConfigArgument{}
		}
		for _, a := range f.Arguments {
			if b.hide(c + "(" + a.Name.Value + ":)") {
				continue
			}
			typ := b.typeRef(a.Type).(graphql.Input)
			field.Args[a.Name.Value] = &graphql.ArgumentConfig{
				Type: typ, Description: describe(a.Description), DefaultValue: b.value(a.DefaultValue, typ),
			}
		}
		fields[f.Name.Value] = field
	}
	return fields
}

// typeRef is the type a reference names, with its list and non-null
// wrappers. check has made sure the named type exists.
func (b *builder) typeRef(t ast.Type) graphql.Type {
	switch t := t.(type) {
	case *ast.NonNull:
		return graphql.NewNonNull(b.typeRef(t.Type))
	case *ast.List:
		return graphql.NewList(b.typeRef(t.Type))
	case *ast.Named:
		return b.types[t.Name.Value]
	}
	panic(fmt.Sprintf("schemabuild: unexpected type reference %T", t))
}

// scalar builds a custom scalar from Options.Scalars, or one that passes
// JSON values through.
func (b *builder) scalar(def *ast.ScalarDefinition) *graphql.Scalar {
	cfg, ok := b.opts.Scalars[def.Name.Value]
	if !ok {
		identity := func(v any) any { return v }
		cfg = graphql.ScalarConfig{Serialize: identity, ParseValue: identity, ParseLiteral: literal}
	}
	if cfg.Name == "" {
		cfg.Name = def.Name.Value
	}
	if cfg.Description == "" {
		cfg.Description = describe(def.Description)
	}
	return graphql.NewScalar(cfg)
}

// enum builds an enum whose values are their names, so that they
// round-trip as strings between subgraph JSON and resolvers.
func (b *builder) enum(def *ast.EnumDefinition) *graphql.Enum {
	values := graphql.EnumValueConfigMap{}
	for _, v := range def.Values {
		if b.hide(def.Name.Value + "." + v.Name.Value) {
			continue
		}
		values[v.Name.Value] = &graphql.EnumValueConfig{
			Value: v.Name.Value, Description: describe(v.Description), DeprecationReason: deprecation(v.Directives),
		}
	}
	return graphql.NewEnum(graphql.EnumConfig{Name: def.Name.Value, Description: describe(def.Description), Values: values})
}

// value is a default value coerced to its input type: an Int default is
// an int, a Float default a float64, a single value of a list type a list of
// one. Input objects' fields are converted without coercion.
func (b *builder) value(v ast.Value, t graphql.Input) any {
	if v == nil {
		return nil
	}
	switch t := t.(type) {
	case *graphql.NonNull:
		return b.value(v, t.OfType.(graphql.Input))
	case *graphql.List:
		item := t.OfType.(graphql.Input)
		lv, ok := v.(*ast.ListValue)
		if !ok {
			return []any{b.value(v, item)}
		}
		out := make([]any, len(lv.Values))
		for i, x := range lv.Values {
			out[i] = b.value(x, item)
		}
		return out
	case *graphql.Scalar:
		if x := t.ParseLiteral(v); x != nil {
			return x
		}
	case *graphql.Enum:
		if x := t.ParseLiteral(v); x != nil {
			return x
		}
	}
	return literal(v)
}

// resolveType is the ResolveType of unions and interfaces.
func (b *builder) resolveType(p graphql.ResolveTypeParams) *graphql.Object {
	if b.opts.ResolveType != nil {
		return b.opts.ResolveType(p)
	}
	if m, ok := p.Value.(map[string]any); ok {
		if name, ok := m["__typename"].(string); ok {
			o, _ := b.types[name].(*graphql.Object)
			return o
		}
	}
	return nil
}

// resolveFromMap is the default resolver: source[fieldName] from a map
// source. The gateway fetches from subgraphs without aliases, so the
// result is keyed by field name whatever alias the client used.
func resolveFromMap(p graphql.ResolveParams) (any, error) {
	if m, ok := p.Source.(map[string]any); ok {
		return m[p.Info.FieldName], nil
	}
	return graphql.DefaultResolveFn(p)
}

// literal converts a constant GraphQL value to Go: enum values become
// their name.
func literal(v ast.Value) any {
	switch v := v.(type) {
	case *ast.IntValue:
		if n, err := strconv.Atoi(v.Value); err == nil {
			return n
		}
		f, _ := strconv.ParseFloat(v.Value, 64)
		return f
	case *ast.FloatValue:
		f, _ := strconv.ParseFloat(v.Value, 64)
		return f
	case *ast.StringValue:
		return v.Value
	case *ast.BooleanValue:
		return v.Value
	case *ast.EnumValue:
		return v.Value
	case *ast.ListValue:
		out := make([]any, len(v.Values))
		for i, x := range v.Values {
			out[i] = literal(x)
		}
		return out
	case *ast.ObjectValue:
		out := make(map[string]any, len(v.Fields))
		for _, f := range v.Fields {
			out[f.Name.Value] = literal(f.Value)
		}
		return out
	}
	return nil
}

func describe(s *ast.StringValue) string {
	if s == nil {
		return ""
	}
	return s.Value
}

// deprecation is the reason given by @deprecated, or "".
func deprecation(ds []*ast.Directive) string {
	for _, d := range ds {
		if d.Name.Value != "deprecated" {
			continue
		}
		for _, a := range d.Arguments {
			if s, ok := a.Value.(*ast.StringValue); ok && a.Name.Value == "reason" {
				return s.Value
			}
		}
		return graphql.DefaultDeprecationReason
	}
	return ""
}

// blankSchemaExtensions rewrites each `extend schema @d(...) { ... }`, which
// graphql-go's parser rejects, as `scalar schema @d(...)`, so that its
// directives are parsed, and returns the offsets of the rewritten
// definitions. Any operation types block is blanked out. Byte offsets are
// kept, so that errors and Directive.SDL point at the original text.
func blankSchemaExtensions(doc string) (string, map[int]bool, error) {
	lex := lexer.Lex(&source.Source{Body: []byte(doc), Name: "SDL"})
	body := []byte(doc)
	at := map[int]bool{}
	var prev lexer.Token
	for {
		tok, err := lex(0)
		if err != nil {
			return "", nil, err
		}
		if tok.Kind == lexer.EOF {
			return string(body), at, nil
		}
		if !(prev.Kind == lexer.NAME && prev.Value == "extend" && tok.Kind == lexer.NAME && tok.Value == "schema") {
			prev = tok
			continue
		}
		copy(body[prev.Start:prev.End], "scalar")
		at[prev.Start] = true
		// Skip the directives, then blank an operation types block.
		next, err := lex(0)
		for err == nil && next.Kind == lexer.AT {
			if _, err = lex(0); err != nil { // the directive's name
				break
			}
			if next, err = lex(0); err == nil && next.Kind == lexer.PAREN_L {
				next, err = skipBalanced(lex, lexer.PAREN_L, lexer.PAREN_R)
			}
		}
		if err == nil && next.Kind == lexer.BRACE_L {
			start := next.Start
			next, err = skipBalanced(lex, lexer.BRACE_L, lexer.BRACE_R)
			for i := start; err == nil && i < next.Start; i++ {
				if body[i] != '\n' {
					body[i] = ' '
				}
			}
		}
		if err != nil {
			return "", nil, err
		}
		prev = next
		if next.Kind == lexer.EOF {
			return string(body), at, nil
		}
	}
}

// skipBalanced reads tokens up to the close matching an open already read
// and returns the token after it.
func skipBalanced(lex lexer.Lexer, open, close lexer.TokenKind) (lexer.Token, error) {
	for depth := 1; ; {
		tok, err := lex(0)
		if err != nil {
			return tok, err
		}
		switch tok.Kind {
		case open:
			depth++
		case close:
			depth--
		case lexer.EOF:
			return tok, fmt.Errorf("unbalanced %s", lexer.GetTokenDesc(tok))
		}
		if depth == 0 {
			return lex(0)
		}
	}
}
