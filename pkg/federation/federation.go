// Package federation makes a graphql-go schema an Apollo Federation v2
// subgraph: a router or our gateway can read its SDL (Query._service) and
// fetch the fields it contributes to entities owned jointly with other
// subgraphs (Query._entities).
//
// An entity type is built with NewEntity, from the object config, its key
// field set and a reference resolver that turns a representation (the
// __typename and key fields another subgraph sends) into the source value
// the entity's field resolvers expect. Subgraph then builds the schema: the
// subgraph's Query and Mutation fields, plus
//
//	scalar _Any
//	union _Entity = <every entity with a reference resolver>
//	type _Service { sdl: String! }
//	extend type Query {
//	  _entities(representations: [_Any!]!): [_Entity]!
//	  _service: _Service!
//	}
//
// _service.sdl is the schema printed by pkg/gql/sdl under
// `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",
// import: ["@key", "@shareable", ...])`, with @key on the entity types and
// the @shareable (and any other federation directives) Config asks for; it
// leaves out the definitions above, as Federation 1 routers require.
//
// _entities answers in the order of the representations. A representation
// whose __typename is not an entity here, that lacks a key field, or whose
// resolver fails gives a null entry and an error at ["_entities", i]; the
// other entries are unaffected. A resolver that returns nil, nil gives a null
// entry without an error (no such entity).
//
// It imports graphql-go, pkg/errs, pkg/gql and pkg/gql/sdl.
package federation

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"

	"carecoord/pkg/errs"
	"carecoord/pkg/gql"
	"carecoord/pkg/gql/sdl"
)

// SpecURL is the version of the federation spec the SDL links.
const SpecURL = "https://specs.apollo.dev/federation/v2.3"

// ResolveFunc is an entity's reference resolver: it turns a representation
// ({"__typename": "Patient", "nhsNumber": "9434765919"}) into the source
// value of the entity's field resolvers. It returns nil, nil when there is no
// such entity. Its errors are mapped like a resolver's (gql.Error) unless
// they already carry extensions.
type ResolveFunc func(ctx context.Context, representation map[string]any) (any, error)

// EntityConfig describes an entity type.
type EntityConfig struct {
	// Object is the type: its name, description and fields (graphql.Fields,
	// or a graphql.FieldsThunk for types that refer to each other).
	Object graphql.ObjectConfig
	// Key is the @key field set: "id", "nhsNumber", or several fields
	// separated by spaces. The fields must be fields of the type.
	Key string
	// Resolve is the reference resolver. Without one, the type is an entity
	// this subgraph refers to but does not resolve: its key is printed with
	// resolvable: false and it is not a member of _Entity.
	Resolve ResolveFunc
}

// Entity is an entity type built by NewEntity.
type Entity struct {
	object  *graphql.Object
	key     string
	fields  []string // the key's top-level fields, parsed once
	resolve ResolveFunc
}

// NewEntity builds an entity type. Its Object can be used like any other
// object type, also in schemas that are not subgraphs: its field resolvers
// receive the value the reference resolver returned when the entity is
// fetched through _entities, and the source as it is otherwise.
func NewEntity(cfg EntityConfig) *Entity {
	oc := cfg.Object
	fields := oc.Fields
	oc.Fields = graphql.FieldsThunk(func() graphql.Fields {
		var fs graphql.Fields
		switch f := fields.(type) {
		case graphql.Fields:
			fs = f
		case graphql.FieldsThunk:
			fs = f()
		}
		out := make(graphql.Fields, len(fs))
		for name, f := range fs {
			if f == nil {
				continue
			}
			c := *f
			c.Resolve = unwrapping(f.Resolve)
			out[name] = &c
		}
		return out
	})
	key := strings.TrimSpace(cfg.Key)
	return &Entity{object: graphql.NewObject(oc), key: key, fields: keyFields(key), resolve: cfg.Resolve}
}

// Object is the entity's object type.
func (e *Entity) Object() *graphql.Object { return e.object }

// Name is the entity's type name.
func (e *Entity) Name() string { return e.object.Name() }

// Key is the entity's @key field set.
func (e *Entity) Key() string { return e.key }

// Config is a subgraph.
type Config struct {
	// Query and Mutation are the subgraph's root fields (Mutation may be
	// empty). Query must not define _service or _entities.
	Query, Mutation graphql.Fields
	// Entities are the subgraph's entity types. They are in the schema
	// whether or not a root field returns them.
	Entities []*Entity
	// Types are further types to put in the schema, for types no field
	// reaches (rare).
	Types []graphql.Type
	// Shareable are the schema coordinates ("Type" or "Type.field") printed
	// with @shareable: value types and fields that other subgraphs resolve
	// as well, identically.
	Shareable []string
	// Directives are further federation directives by schema coordinate
	// ("Type", "Type.field", "Type.field(arg:)", "Enum.VALUE"), as SDL:
	// {"Patient.timeline": {"@inaccessible"}}. Their names are imported in
	// the @link.
	Directives map[string][]string
}

// entitySource is an _entities entry: the reference resolver's value for a
// type, or its error.
type entitySource struct {
	typename string
	value    any
	err      error
}

// unwrapping makes a field resolver of an entity type see the reference
// resolver's value as its source.
func unwrapping(resolve graphql.FieldResolveFn) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) {
		if e, ok := p.Source.(*entitySource); ok {
			p.Source = e.value
		}
		if resolve == nil {
			return graphql.DefaultResolveFn(p)
		}
		return resolve(p)
	}
}

// Subgraph builds the subgraph's schema. An error means the config is
// inconsistent (a key field the type lacks, a directive on a coordinate
// that does not exist, two entities of one name): do not start with it.
func Subgraph(cfg Config) (graphql.Schema, error) {
	for _, f := range []string{"_service", "_entities"} {
		if cfg.Query[f] != nil {
			return graphql.Schema{}, fmt.Errorf("federation: Query.%s is defined by the subgraph protocol", f)
		}
	}
	entities := map[string]*Entity{}
	var resolvable []*graphql.Object
	types := slices.Clone(cfg.Types)
	for _, e := range cfg.Entities {
		if e == nil {
			return graphql.Schema{}, fmt.Errorf("federation: a nil entity")
		}
		if e.object.Error() != nil {
			return graphql.Schema{}, fmt.Errorf("federation: entity %s: %w", e.Name(), e.object.Error())
		}
		if entities[e.Name()] != nil {
			return graphql.Schema{}, fmt.Errorf("federation: entity %s is configured twice", e.Name())
		}
		if err := checkKey(e); err != nil {
			return graphql.Schema{}, err
		}
		entities[e.Name()] = e
		types = append(types, e.object)
		if e.resolve != nil {
			resolvable = append(resolvable, e.object)
		}
	}
	sort.Slice(resolvable, func(i, j int) bool { return resolvable[i].Name() < resolvable[j].Name() })

	var printed string // set once the schema is built; read by _service
	service := graphql.NewObject(graphql.ObjectConfig{
		Name: "_Service",
		Fields: graphql.Fields{"sdl": &graphql.Field{
			Type:        graphql.NewNonNull(graphql.String),
			Description: "The subgraph's schema as SDL, with its federation directives.",
			Resolve:     func(graphql.ResolveParams) (any, error) { return printed, nil },
		}},
	})
	query := graphql.Fields{}
	for k, v := range cfg.Query {
		query[k] = v
	}
	query["_service"] = &graphql.Field{
		Type:    graphql.NewNonNull(service),
		Resolve: func(graphql.ResolveParams) (any, error) { return struct{}{}, nil },
	}
	// A subgraph that resolves no entity defines neither _Entity nor
	// _entities (subgraph spec).
	if len(resolvable) > 0 {
		query["_entities"] = entitiesField(entities, resolvable)
	}
	sc := graphql.SchemaConfig{
		Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: query}),
		Types: types,
	}
	if len(cfg.Mutation) > 0 {
		sc.Mutation = graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: cfg.Mutation})
	}
	schema, err := graphql.NewSchema(sc)
	if err != nil {
		return graphql.Schema{}, fmt.Errorf("federation: %w", err)
	}
	directives, err := appliedDirectives(schema, cfg, entities)
	if err != nil {
		return graphql.Schema{}, err
	}
	printed = sdl.Print(schema, sdl.Options{
		Header:     linkHeader(directives),
		Directives: func(c string) []string { return directives[c] },
		Skip: func(c string) bool {
			switch c {
			case "Query._service", "Query._entities", "_Service", "_Entity", "_Any":
				return true
			}
			return false
		},
	})
	return schema, nil
}

// SDL is the printed subgraph SDL of a schema built by Subgraph (what
// _service { sdl } returns).
func SDL(schema graphql.Schema) (string, error) {
	res := graphql.Do(graphql.Params{Schema: schema, RequestString: "{ _service { sdl } }", Context: context.Background()})
	if len(res.Errors) > 0 {
		return "", fmt.Errorf("federation: %v", res.Errors[0])
	}
	data, _ := res.Data.(map[string]any)
	svc, _ := data["_service"].(map[string]any)
	s, ok := svc["sdl"].(string)
	if !ok {
		return "", fmt.Errorf("federation: the schema has no _service.sdl")
	}
	return s, nil
}

// checkKey checks that the top-level fields of an entity's key are fields
// of the type (nested selections, "a { b }", are not checked further).
func checkKey(e *Entity) error {
	if e.key == "" {
		return fmt.Errorf("federation: entity %s has no key", e.Name())
	}
	fields := e.object.Fields()
	if e.object.Error() != nil {
		return fmt.Errorf("federation: entity %s: %w", e.Name(), e.object.Error())
	}
	for _, name := range keyFields(e.key) {
		if fields[name] == nil {
			return fmt.Errorf("federation: entity %s has no field %s for its key %q", e.Name(), name, e.key)
		}
	}
	return nil
}

// keyFields are the top-level field names of a field set.
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

// appliedDirectives are the directives printed at each coordinate.
func appliedDirectives(schema graphql.Schema, cfg Config, entities map[string]*Entity) (map[string][]string, error) {
	out := map[string][]string{}
	for name, e := range entities {
		key := "@key(fields: " + strconv.Quote(e.key) + ")"
		if e.resolve == nil {
			key = "@key(fields: " + strconv.Quote(e.key) + ", resolvable: false)"
		}
		out[name] = append(out[name], key)
	}
	for _, c := range cfg.Shareable {
		if !exists(schema, c) {
			return nil, fmt.Errorf("federation: @shareable on %s, which the schema does not have", c)
		}
		out[c] = append(out[c], "@shareable")
	}
	coords := make([]string, 0, len(cfg.Directives))
	for c := range cfg.Directives {
		coords = append(coords, c)
	}
	sort.Strings(coords)
	for _, c := range coords {
		if !exists(schema, c) {
			return nil, fmt.Errorf("federation: directives on %s, which the schema does not have", c)
		}
		for _, d := range cfg.Directives[c] {
			if !strings.HasPrefix(strings.TrimSpace(d), "@") {
				return nil, fmt.Errorf("federation: directive %q on %s does not start with @", d, c)
			}
			out[c] = append(out[c], strings.TrimSpace(d))
		}
	}
	return out, nil
}

// exists reports whether a schema coordinate names a type, field, argument
// or enum value of the schema.
func exists(schema graphql.Schema, coordinate string) bool {
	typeName, rest, hasField := strings.Cut(coordinate, ".")
	t := schema.Type(typeName)
	if t == nil || !hasField {
		return t != nil
	}
	field, arg, hasArg := strings.Cut(rest, "(")
	switch t := t.(type) {
	case *graphql.Object:
		f := t.Fields()[field]
		if f == nil || !hasArg {
			return f != nil
		}
		arg = strings.TrimSuffix(arg, ":)")
		return slices.ContainsFunc(f.Args, func(a *graphql.Argument) bool { return a.Name() == arg })
	case *graphql.Interface:
		return !hasArg && t.Fields()[field] != nil
	case *graphql.InputObject:
		return !hasArg && t.Fields()[field] != nil
	case *graphql.Enum:
		return !hasArg && slices.ContainsFunc(t.Values(), func(v *graphql.EnumValueDefinition) bool { return v.Name == field })
	}
	return false
}

// linkHeader is the schema extension that links the federation spec and
// imports the directives used.
func linkHeader(directives map[string][]string) string {
	imports := []string{"@key", "@shareable"}
	for _, ds := range directives {
		for _, d := range ds {
			name := d
			if i := strings.IndexAny(name, "( "); i >= 0 {
				name = name[:i]
			}
			if !slices.Contains(imports, name) {
				imports = append(imports, name)
			}
		}
	}
	sort.Strings(imports[2:])
	quoted := make([]string, len(imports))
	for i, d := range imports {
		quoted[i] = strconv.Quote(d)
	}
	return "extend schema @link(url: " + strconv.Quote(SpecURL) + ", import: [" + strings.Join(quoted, ", ") + "])"
}

// anyScalar is _Any: a representation, passed through as the JSON object it
// was sent as (or the literal written in the query).
var anyScalar = graphql.NewScalar(graphql.ScalarConfig{
	Name:         "_Any",
	Description:  "An entity representation: its __typename and key fields.",
	Serialize:    func(v any) any { return v },
	ParseValue:   func(v any) any { return v },
	ParseLiteral: literal,
})

// literal is the Go value of a GraphQL literal.
func literal(v ast.Value) any {
	switch v := v.(type) {
	case *ast.ObjectValue:
		m := make(map[string]any, len(v.Fields))
		for _, f := range v.Fields {
			m[f.Name.Value] = literal(f.Value)
		}
		return m
	case *ast.ListValue:
		l := make([]any, len(v.Values))
		for i, item := range v.Values {
			l[i] = literal(item)
		}
		return l
	case *ast.IntValue:
		if n, err := strconv.ParseInt(v.Value, 10, 64); err == nil {
			return n
		}
		return v.Value
	case *ast.FloatValue:
		if f, err := strconv.ParseFloat(v.Value, 64); err == nil {
			return f
		}
		return v.Value
	case *ast.StringValue:
		return v.Value
	case *ast.BooleanValue:
		return v.Value
	case *ast.EnumValue:
		return v.Value
	}
	return nil
}

// entitiesField is Query._entities over the resolvable entities.
func entitiesField(entities map[string]*Entity, resolvable []*graphql.Object) *graphql.Field {
	byName := make(map[string]*graphql.Object, len(resolvable))
	for _, o := range resolvable {
		byName[o.Name()] = o
	}
	union := graphql.NewUnion(graphql.UnionConfig{
		Name:        "_Entity",
		Description: "Every entity type this subgraph resolves.",
		Types:       resolvable,
		ResolveType: func(p graphql.ResolveTypeParams) *graphql.Object {
			e, _ := p.Value.(*entitySource)
			if e == nil {
				panic(gqlerrors.NewFormattedError("federation: an _entities entry of an unexpected kind"))
			}
			if e.err != nil {
				// Caught by graphql-go for this entry alone: null and an
				// error at its path, as for a failing nullable field.
				panic(e.err)
			}
			return byName[e.typename]
		},
	})
	return &graphql.Field{
		Type: graphql.NewNonNull(graphql.NewList(union)),
		Args: graphql.FieldConfigArgument{"representations": &graphql.ArgumentConfig{
			Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(anyScalar))),
		}},
		Resolve: func(p graphql.ResolveParams) (any, error) {
			reps, _ := p.Args["representations"].([]any)
			out := make([]any, len(reps))
			for i, rep := range reps {
				if src := resolveEntity(p.Context, entities, rep); src != nil {
					out[i] = src
				}
			}
			return out, nil
		},
	}
}

// resolveEntity resolves one representation: nil when there is no such
// entity.
func resolveEntity(ctx context.Context, entities map[string]*Entity, rep any) *entitySource {
	m, ok := rep.(map[string]any)
	if !ok {
		return &entitySource{err: gql.Error(errs.Invalid("representations", "a representation must be an object with a __typename", "entity-representation"))}
	}
	typename, _ := m["__typename"].(string)
	e := entities[typename]
	if e == nil || e.resolve == nil {
		return &entitySource{err: gql.Error(errs.Invalid("representations", fmt.Sprintf("%q is not an entity this subgraph resolves", typename), "entity-typename"))}
	}
	for _, k := range e.fields {
		if m[k] == nil {
			return &entitySource{err: gql.Error(errs.Invalid("representations", fmt.Sprintf("a %s representation needs its key field %s", typename, k), "entity-key"))}
		}
	}
	v, err := e.resolve(ctx, m)
	if err != nil {
		if _, ok := err.(gqlerrors.ExtendedError); !ok {
			err = gql.Error(err)
		}
		return &entitySource{typename: typename, err: err}
	}
	if isNil(v) {
		return nil
	}
	return &entitySource{typename: typename, value: v}
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Func, reflect.Chan:
		return rv.IsNil()
	}
	return false
}

// Reference resolves one representation against a schema built by
// Subgraph, as its _entities field would, for a gateway that calls the
// subgraph's resolvers directly (in the same process) instead of sending
// it documents. The value is the source the entity's field resolvers
// expect; nil (and no error) when there is no such entity.
func Reference(ctx context.Context, schema graphql.Schema, representation map[string]any) (any, error) {
	f := schema.QueryType().Fields()["_entities"]
	if f == nil || f.Resolve == nil {
		return nil, fmt.Errorf("federation: the schema has no _entities")
	}
	out, err := f.Resolve(graphql.ResolveParams{Context: ctx, Args: map[string]any{"representations": []any{representation}}})
	if err != nil {
		return nil, err
	}
	list, _ := out.([]any)
	if len(list) != 1 || list[0] == nil {
		return nil, nil
	}
	src, _ := list[0].(*entitySource)
	if src == nil {
		return nil, nil
	}
	if src.err != nil {
		return nil, src.err
	}
	return src, nil
}
