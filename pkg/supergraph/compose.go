package supergraph

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"

	"carecoord/pkg/gql"
	"carecoord/pkg/gql/schemabuild"
)

// Options change what Compose builds.
type Options struct {
	// Extra is SDL of gateway-owned types and fields: new types, and fields
	// added to subgraph types with `extend type Patient { timeline: ... }`
	// or `type Query { localities: [Locality!]! }` (merged like a subgraph).
	Extra string
	// Resolvers are the resolvers of gateway-owned fields by "Type.field".
	// A gateway resolver that returns an entity may return a map keyed by
	// field name holding at least its key fields; fields owned by
	// subgraphs are then fetched from them. On entities fetched from a
	// subgraph, read key fields with Key.
	Resolvers map[string]graphql.FieldResolveFn
	// Subscribers are the Subscribe resolvers of gateway-owned fields of
	// the Subscription root (declared in Extra), by "Subscription.field":
	// each returns a chan any of events for graphql.ExecuteSubscription,
	// which runs on Schema directly. Each event is the field's value (unless
	// Resolvers has the field), already complete: a map keyed by response
	// key, as Supergraph.Execute returns data.
	Subscribers map[string]graphql.FieldResolveFn
	// DocumentsOnly sends in-process subgraphs documents, as remote ones
	// are, instead of calling their resolvers directly (direct.go): for
	// tests of the document path.
	DocumentsOnly bool
}

// gateway is the owner name of gateway-owned fields.
const gateway = ""

// typeInfo is a merged type.
type typeInfo struct {
	name   string
	def    ast.Node // merged definition (objects and interfaces: fields merged)
	fields map[string]*fieldInfo
	// keys are the key fields (top level) of an entity, by subgraph, for the
	// subgraphs that resolve it.
	keys map[string][]string
	// keyFields are the key fields of every subgraph's @key, resolvable or not.
	keyFields  []string
	interfaces []string

	// The merged definition's SDL, from the subgraphs' source text.
	text       string // types other than objects, interfaces and unions
	desc       string
	directives []string
}

type fieldInfo struct {
	def    *ast.FieldDefinition
	owners []string // subgraphs (gateway: "") in subgraph order
	text   string   // SDL, with the directives of every subgraph
}

// Supergraph is the composed schema.
type Supergraph struct {
	schema    graphql.Schema
	sdl       string
	subgraphs map[string]Subgraph
	types     map[string]*typeInfo
	subTypes  map[string]map[string]bool // subgraph -> type names it defines
	resolvers map[string]graphql.FieldResolveFn
	// direct are the in-process subgraphs whose resolvers are called
	// directly, and executable the schema requests are executed on: its
	// fields call them (nil without in-process subgraphs: schema).
	direct     map[string]*directSub
	executable *graphql.Schema
}

// Schema is the public schema. Execute with Supergraph.Do, which batches.
func (s *Supergraph) Schema() graphql.Schema { return s.schema }

// SDL is the merged SDL (with @inaccessible definitions, which the public
// schema leaves out).
func (s *Supergraph) SDL() string { return s.sdl }

// Compose fetches every subgraph's SDL ({ _service { sdl } }) and composes
// them, with the gateway's own fields, into one executable schema.
func Compose(ctx context.Context, subgraphs []Subgraph, opts Options) (*Supergraph, error) {
	sg := &Supergraph{
		subgraphs: map[string]Subgraph{}, types: map[string]*typeInfo{},
		subTypes: map[string]map[string]bool{}, resolvers: opts.Resolvers,
	}
	var order []string
	add := func(owner, doc string) error {
		body := stripSchemaExtension(doc)
		d, err := parser.Parse(parser.ParseParams{Source: &source.Source{Body: []byte(body), Name: owner}})
		if err != nil {
			return err
		}
		known := map[string]bool{}
		sg.subTypes[owner] = known
		for _, def := range d.Definitions {
			if ext, ok := def.(*ast.TypeExtensionDefinition); ok {
				def = ext.Definition
			}
			name, ok := defName(def)
			if !ok {
				continue // schema and directive definitions
			}
			switch name {
			case "_Service", "_Entity", "_Any", "FieldSet", "link__Import", "link__Purpose":
				continue
			}
			known[name] = true
			ti := sg.types[name]
			if ti == nil {
				ti = &typeInfo{name: name, fields: map[string]*fieldInfo{}, keys: map[string][]string{}}
				sg.types[name] = ti
				order = append(order, name)
			}
			sg.merge(owner, body, ti, def)
		}
		return nil
	}
	for _, s := range subgraphs {
		if _, dup := sg.subgraphs[s.Name()]; dup || s.Name() == gateway {
			return nil, fmt.Errorf("supergraph: subgraph name %q is empty or used twice", s.Name())
		}
		sg.subgraphs[s.Name()] = s
		data, errs, err := s.Do(ctx, "{ _service { sdl } }", nil)
		if err != nil {
			return nil, err
		}
		if len(errs) > 0 {
			return nil, fmt.Errorf("supergraph: %s: _service: %s", s.Name(), errs[0].Message)
		}
		svc, _ := data["_service"].(map[string]any)
		doc, _ := svc["sdl"].(string)
		if doc == "" {
			return nil, fmt.Errorf("supergraph: %s: no _service.sdl", s.Name())
		}
		if err := add(s.Name(), doc); err != nil {
			return nil, fmt.Errorf("supergraph: %s: %w", s.Name(), err)
		}
	}
	if strings.TrimSpace(opts.Extra) != "" {
		if err := add(gateway, opts.Extra); err != nil {
			return nil, fmt.Errorf("supergraph: Extra: %w", err)
		}
	}
	var sb strings.Builder
	for _, name := range order {
		sg.types[name].print(&sb)
	}
	printed := sb.String()
	sg.sdl = printed
	schema, err := schemabuild.Build(printed, schemabuild.Options{
		HideInaccessible: true,
		Resolve:          sg.resolverFor,
		Subscribe: func(typeName, fieldName string) graphql.FieldResolveFn {
			if typeName != "Subscription" {
				return nil
			}
			return opts.Subscribers[typeName+"."+fieldName]
		},
		ResolveType: sg.resolveType,
	})
	if err != nil {
		return nil, fmt.Errorf("supergraph: composing: %w", err)
	}
	sg.schema = schema
	if !opts.DocumentsOnly {
		for name, sub := range sg.subgraphs {
			if ip, ok := sub.(*inProcess); ok {
				if sg.direct == nil {
					sg.direct = map[string]*directSub{}
				}
				sg.direct[name] = newDirectSub(name, ip.schema)
			}
		}
	}
	gql.WarmEnums(schema)
	for _, ds := range sg.direct {
		gql.WarmEnums(ds.schema)
	}
	if sg.direct != nil {
		exec, err := schemabuild.Build(printed, schemabuild.Options{
			HideInaccessible: true,
			Resolve:          sg.directResolverFor,
			ResolveType:      sg.directResolveType,
		})
		if err != nil {
			return nil, fmt.Errorf("supergraph: composing: %w", err)
		}
		gql.WarmEnums(exec)
		sg.executable = &exec
	}
	return sg, nil
}

// merge adds a subgraph's definition of a type.
func (sg *Supergraph) merge(owner, body string, ti *typeInfo, def ast.Node) {
	src := func(n ast.Node) string {
		if n == nil || n.GetLoc() == nil {
			return ""
		}
		return body[n.GetLoc().Start:n.GetLoc().End]
	}
	directives := func(ds []*ast.Directive) {
		for _, d := range ds {
			name := "@" + d.Name.Value
			if !slices.ContainsFunc(ti.directives, func(x string) bool { return x == name || strings.HasPrefix(x, name+"(") }) {
				ti.directives = append(ti.directives, src(d))
			}
		}
	}
	switch d := def.(type) {
	case *ast.ObjectDefinition:
		if d.Description != nil && ti.desc == "" {
			ti.desc = src(d.Description)
		}
		directives(d.Directives)
		for _, dir := range d.Directives {
			if dir.Name.Value != "key" {
				continue
			}
			fields, resolvable := "", true
			for _, a := range dir.Arguments {
				switch v := a.Value.(type) {
				case *ast.StringValue:
					if a.Name.Value == "fields" {
						fields = v.Value
					}
				case *ast.BooleanValue:
					if a.Name.Value == "resolvable" {
						resolvable = v.Value
					}
				}
			}
			kf := keyFields(fields)
			for _, k := range kf {
				if !slices.Contains(ti.keyFields, k) {
					ti.keyFields = append(ti.keyFields, k)
				}
			}
			if resolvable && owner != gateway && ti.keys[owner] == nil {
				ti.keys[owner] = kf
			}
		}
		for _, i := range d.Interfaces {
			if !slices.Contains(ti.interfaces, i.Name.Value) {
				ti.interfaces = append(ti.interfaces, i.Name.Value)
			}
		}
		var base *ast.ObjectDefinition
		if ti.def == nil {
			c := *d
			c.Fields = nil
			c.Interfaces = slices.Clone(d.Interfaces)
			base = &c
			ti.def = base
		} else {
			base, _ = ti.def.(*ast.ObjectDefinition)
			if base == nil {
				return
			}
			for _, i := range d.Interfaces {
				if !slices.ContainsFunc(base.Interfaces, func(n *ast.Named) bool { return n.Name.Value == i.Name.Value }) {
					base.Interfaces = append(base.Interfaces, i)
				}
			}
		}
		base.Fields = sg.mergeFields(owner, src, ti, base.Fields, d.Fields)
	case *ast.InterfaceDefinition:
		if d.Description != nil && ti.desc == "" {
			ti.desc = src(d.Description)
		}
		directives(d.Directives)
		if ti.def == nil {
			c := *d
			c.Fields = nil
			ti.def = &c
		}
		if base, ok := ti.def.(*ast.InterfaceDefinition); ok {
			base.Fields = sg.mergeFields(owner, src, ti, base.Fields, d.Fields)
		}
	case *ast.UnionDefinition:
		if d.Description != nil && ti.desc == "" {
			ti.desc = src(d.Description)
		}
		directives(d.Directives)
		if ti.def == nil {
			c := *d
			c.Types = slices.Clone(d.Types)
			ti.def = &c
			return
		}
		if base, ok := ti.def.(*ast.UnionDefinition); ok {
			for _, t := range d.Types {
				if !slices.ContainsFunc(base.Types, func(n *ast.Named) bool { return n.Name.Value == t.Name.Value }) {
					base.Types = append(base.Types, t)
				}
			}
		}
	default:
		if ti.def == nil {
			ti.def = def
			ti.text = src(def)
		}
	}
}

// print writes the merged definition as SDL.
func (ti *typeInfo) print(b *strings.Builder) {
	if ti.desc != "" {
		b.WriteString(ti.desc + "\n")
	}
	dirs := ""
	if len(ti.directives) > 0 {
		dirs = " " + strings.Join(ti.directives, " ")
	}
	switch d := ti.def.(type) {
	case *ast.ObjectDefinition:
		b.WriteString("type " + ti.name)
		if len(ti.interfaces) > 0 {
			b.WriteString(" implements " + strings.Join(ti.interfaces, " & "))
		}
		b.WriteString(dirs + " {\n")
		for _, f := range d.Fields {
			b.WriteString("  " + ti.fields[f.Name.Value].text + "\n")
		}
		b.WriteString("}\n\n")
	case *ast.InterfaceDefinition:
		b.WriteString("interface " + ti.name + dirs + " {\n")
		for _, f := range d.Fields {
			b.WriteString("  " + ti.fields[f.Name.Value].text + "\n")
		}
		b.WriteString("}\n\n")
	case *ast.UnionDefinition:
		var members []string
		for _, t := range d.Types {
			members = append(members, t.Name.Value)
		}
		b.WriteString("union " + ti.name + dirs + " = " + strings.Join(members, " | ") + "\n\n")
	default:
		b.WriteString(ti.text + "\n\n")
	}
}

// mergeFields adds a subgraph's fields of an object or interface.
func (sg *Supergraph) mergeFields(owner string, src func(ast.Node) string, ti *typeInfo, have, add []*ast.FieldDefinition) []*ast.FieldDefinition {
	for _, f := range add {
		name := f.Name.Value
		switch name {
		case "_service", "_entities":
			continue
		}
		fi := ti.fields[name]
		if fi == nil {
			c := *f
			c.Directives = slices.Clone(f.Directives)
			fi = &fieldInfo{def: &c, text: src(f)}
			ti.fields[name] = fi
			have = append(have, &c)
		} else {
			for _, d := range f.Directives {
				if !slices.ContainsFunc(fi.def.Directives, func(x *ast.Directive) bool { return x.Name.Value == d.Name.Value }) {
					fi.def.Directives = append(fi.def.Directives, d)
					fi.text += " " + src(d)
				}
			}
			if fi.def.Description == nil && f.Description != nil {
				fi.def.Description = f.Description
				fi.text = src(f.Description) + " " + fi.text
			}
		}
		external := slices.ContainsFunc(f.Directives, func(d *ast.Directive) bool { return d.Name.Value == "external" })
		if !external && !slices.Contains(fi.owners, owner) {
			fi.owners = append(fi.owners, owner)
		}
	}
	return have
}

func defName(def ast.Node) (string, bool) {
	switch d := def.(type) {
	case *ast.ObjectDefinition:
		return d.Name.Value, true
	case *ast.InterfaceDefinition:
		return d.Name.Value, true
	case *ast.UnionDefinition:
		return d.Name.Value, true
	case *ast.EnumDefinition:
		return d.Name.Value, true
	case *ast.InputObjectDefinition:
		return d.Name.Value, true
	case *ast.ScalarDefinition:
		return d.Name.Value, true
	}
	return "", false
}

// stripSchemaExtension removes `extend schema ...` (the federation @link),
// which graphql-go cannot parse.
func stripSchemaExtension(doc string) string {
	var out []string
	depth, skipping := 0, false
	for _, line := range strings.Split(doc, "\n") {
		if !skipping && strings.HasPrefix(strings.TrimSpace(line), "extend schema") {
			skipping, depth = true, 0
		}
		if skipping {
			depth += strings.Count(line, "(") + strings.Count(line, "[") + strings.Count(line, "{") -
				strings.Count(line, ")") - strings.Count(line, "]") - strings.Count(line, "}")
			if depth <= 0 {
				skipping = false
			}
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// keyFields are the top-level field names of a field set ("id", "a b",
// "a { b }").
func keyFields(set string) []string {
	var names []string
	depth := 0
	for _, tok := range strings.Fields(strings.NewReplacer("{", " { ", "}", " } ", ",", " ").Replace(set)) {
		switch tok {
		case "{":
			depth++
		case "}":
			depth--
		default:
			if depth == 0 {
				names = append(names, tok)
			}
		}
	}
	return names
}
