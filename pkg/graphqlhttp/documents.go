package graphqlhttp

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
	lru "github.com/hashicorp/golang-lru/v2"

	"carecoord/pkg/querylimit"
)

// document is a query text parsed, measured and validated: what the cache
// holds, so that a repeated query costs a hash and a map look-up.
type document struct {
	ast *ast.Document
	// errs refuse the document for good: a syntax error, an operation over
	// the depth limit, or a validation error.
	errs []gqlerrors.FormattedError
	ops  []*operation
}

// operation is one operation of a valid document.
type operation struct {
	name string
	typ  string // ast.OperationTypeQuery, ...
	doc  *ast.Document
	def  *ast.OperationDefinition
	// cost is its static cost; when costReadsVariables it holds only for
	// the default values and is worked out again for each request.
	cost               int
	costReadsVariables bool
}

// operation is the operation that name selects, as execution will select
// it; nil when there is none (execution then reports why).
func (d *document) operation(name string) *operation {
	if name == "" {
		if len(d.ops) == 1 {
			return d.ops[0]
		}
		return nil
	}
	for _, op := range d.ops {
		if op.name == name {
			return op
		}
	}
	return nil
}

// documentCache holds documents by the SHA-256 of their text: the key of a
// persisted query too. A nil lru is a cache that is off.
type documentCache struct {
	lru *lru.Cache[[sha256.Size]byte, *document]
}

func newDocumentCache(size int) *documentCache {
	if size <= 0 {
		return &documentCache{}
	}
	c, err := lru.New[[sha256.Size]byte, *document](size)
	if err != nil {
		panic(err) // only for a size <= 0
	}
	return &documentCache{lru: c}
}

func (c *documentCache) get(key [sha256.Size]byte) (*document, bool) {
	if c.lru == nil {
		return nil, false
	}
	return c.lru.Get(key)
}

func (c *documentCache) add(key [sha256.Size]byte, d *document) {
	if c.lru != nil {
		c.lru.Add(key, d)
	}
}

// document finds the request's document: by the persisted-query hash, or by
// the query text (from the cache, or parsed, measured and validated now).
//
// Automatic persisted queries (Apollo's protocol): a request may carry
// extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}. With
// the hash alone, a known hash runs its document and an unknown one gets
// PersistedQueryNotFound, upon which the client sends hash and query; the
// hash must then be the query's, and the document is registered. Any query
// that has run is known by its hash, until the cache drops it.
func (h *handler) document(req request) (*document, *requestError) {
	hash, persisted, rerr := persistedHash(req.Extensions)
	if rerr != nil {
		return nil, rerr
	}
	if strings.TrimSpace(req.Query) == "" {
		if !persisted {
			return nil, httpError(http.StatusBadRequest, "a query is required")
		}
		if d, ok := h.docs.get(hash); ok {
			return d, nil
		}
		return nil, graphqlError(coded(CodePersistedQueryNotFound, "PersistedQueryNotFound"))
	}
	key := sha256.Sum256([]byte(req.Query))
	if persisted && key != hash {
		return nil, graphqlError(coded(CodeBadUserInput, "provided sha does not match query"))
	}
	if d, ok := h.docs.get(key); ok {
		return d, nil
	}
	d := h.build(req.Query)
	h.docs.add(key, d)
	return d, nil
}

// persistedHash reads extensions.persistedQuery.
func persistedHash(ext map[string]any) (hash [sha256.Size]byte, ok bool, rerr *requestError) {
	raw, ok := ext["persistedQuery"]
	if !ok || raw == nil {
		return hash, false, nil
	}
	bad := func(msg string) ([sha256.Size]byte, bool, *requestError) {
		return hash, false, graphqlError(coded(CodeBadUserInput, "%s", msg))
	}
	pq, isObject := raw.(map[string]any)
	if !isObject {
		return bad(`extensions.persistedQuery must be {"version": 1, "sha256Hash": "<hex>"}`)
	}
	if v, _ := pq["version"].(float64); v != 1 {
		return bad("extensions.persistedQuery.version must be 1, the only version supported")
	}
	s, _ := pq["sha256Hash"].(string)
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != sha256.Size {
		return bad("extensions.persistedQuery.sha256Hash must be the SHA-256 of the query in 64 hexadecimal digits")
	}
	copy(hash[:], b)
	return hash, true, nil
}

// build parses, measures and validates a query text. The limits that need
// no schema come before validation, which they protect: graphql-go's
// validator walks every nesting level and compares same-named fields
// pairwise (see querylimit.MaxRepeats).
func (h *handler) build(query string) *document {
	h.parses.Add(1)
	doc, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{
		Body: []byte(query),
		Name: "GraphQL request",
	})})
	if err != nil {
		return &document{errs: gqlerrors.FormatErrors(err)}
	}
	d := &document{ast: doc}
	if h.opts.MaxCost > 0 {
		if n := querylimit.Fields(doc); n > h.opts.MaxCost {
			d.errs = append(d.errs, coded(CodeQueryTooComplex,
				"the document has %d fields, above the cost limit of %d: ask for fewer fields", n, h.opts.MaxCost))
			return d
		}
	}
	// Fields used in several places are visited in each: the budget allows
	// for that in a document whose operations are within the cost limit.
	budget := 4 * DefaultMaxCost
	if h.opts.MaxCost > 0 {
		budget = 4 * h.opts.MaxCost
	}
	if name, n, within := querylimit.Repeats(doc, budget); !within {
		d.errs = append(d.errs, coded(CodeQueryTooComplex,
			"the document has more than %d fields with its fragments expanded: ask for fewer fields", budget))
		return d
	} else if n > querylimit.MaxRepeats {
		d.errs = append(d.errs, coded(CodeQueryTooComplex,
			"%q is selected %d times in one selection set (fragments included), above the limit of %d: select it once", name, n, querylimit.MaxRepeats))
		return d
	}
	defs := querylimit.Operations(doc)
	for _, def := range defs {
		if h.opts.MaxDepth > 0 {
			if depth := querylimit.Depth(doc, def); depth > h.opts.MaxDepth {
				d.errs = append(d.errs, depthError(def, depth, h.opts.MaxDepth))
			}
		}
		if n := querylimit.IntrospectionDepth(doc, def); n > querylimit.MaxIntrospectionDepth {
			d.errs = append(d.errs, introspectionError(def, n))
		}
	}
	if len(d.errs) > 0 {
		return d
	}
	if vr := graphql.ValidateDocument(&h.schema, doc, nil); !vr.IsValid {
		d.errs = vr.Errors
		return d
	}
	for _, def := range defs {
		op := &operation{typ: def.Operation, doc: doc, def: def}
		if def.Name != nil {
			op.name = def.Name.Value
		}
		if h.opts.MaxCost > 0 {
			op.cost, op.costReadsVariables = querylimit.Cost(&h.schema, doc, def, nil, h.opts.ListSize)
		}
		d.ops = append(d.ops, op)
	}
	return d
}

func describe(def *ast.OperationDefinition) string {
	if def.Name != nil && def.Name.Value != "" {
		return "operation " + def.Name.Value
	}
	return "the operation"
}

// Limits returns the checks of depth, introspection depth and cost that the
// handler applies with opts (defaults filled in), for another transport of
// the same schema (pkg/graphqlws's Options.Check): the errors of an
// operation beyond them, none when it is within.
func Limits(schema *graphql.Schema, opts Options) func(doc *ast.Document, op *ast.OperationDefinition, variables map[string]any) []gqlerrors.FormattedError {
	opts = opts.withDefaults()
	return func(doc *ast.Document, def *ast.OperationDefinition, variables map[string]any) []gqlerrors.FormattedError {
		var errs []gqlerrors.FormattedError
		if opts.MaxDepth > 0 {
			if depth := querylimit.Depth(doc, def); depth > opts.MaxDepth {
				errs = append(errs, depthError(def, depth, opts.MaxDepth))
			}
		}
		if n := querylimit.IntrospectionDepth(doc, def); n > querylimit.MaxIntrospectionDepth {
			errs = append(errs, introspectionError(def, n))
		}
		if opts.MaxCost > 0 {
			if cost, _ := querylimit.Cost(schema, doc, def, variables, opts.ListSize); cost > opts.MaxCost {
				errs = append(errs, costError(cost, opts))
			}
		}
		return errs
	}
}

func depthError(def *ast.OperationDefinition, depth, limit int) gqlerrors.FormattedError {
	return coded(CodeQueryTooComplex, "%s nests %d levels deep, above the limit of %d: split it into several requests", describe(def), depth, limit)
}

func introspectionError(def *ast.OperationDefinition, n int) gqlerrors.FormattedError {
	return coded(CodeQueryTooComplex,
		"%s nests introspection lists (fields, interfaces, possibleTypes, inputFields) %d deep, above the limit of %d",
		describe(def), n, querylimit.MaxIntrospectionDepth)
}

func costError(cost int, opts Options) gqlerrors.FormattedError {
	return coded(CodeQueryTooComplex,
		"the operation could cost %d, above the limit of %d (each field 1, list fields times their first or limit argument, else %d): ask for fewer fields or fewer items",
		cost, opts.MaxCost, opts.ListSize)
}
