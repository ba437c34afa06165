// Package supergraph is the gateway's query planner and executor: it
// composes Apollo Federation v2 subgraphs (pkg/federation) into one
// executable graphql-go schema and answers it by delegating to them.
//
// Compose reads each subgraph's SDL ({ _service { sdl } }), drops the
// `extend schema @link`, and merges the types: an object's fields are the
// union of the subgraphs' fields, each owned by the subgraphs that define
// it (not @external); root Query and Mutation fields are owned by their
// subgraph; @key field sets are kept per type and subgraph (resolvable keys
// only are used for _entities). Options.Extra adds gateway-owned types and
// fields, resolved by Options.Resolvers. The merged SDL is built with
// pkg/gql/schemabuild with HideInaccessible, so @inaccessible fields are
// not public.
//
// Execution (Supergraph.Do and Execute) takes one of two paths per field.
// A field owned by a subgraph hosted in this process (InProcess) calls that
// subgraph's resolver directly (direct.go): the request is executed once,
// by graphql-go over the public schema, with no documents sent. A field
// owned by a remote subgraph takes the document path:
//
//   - A root field owned by S is sent to S with the part of its selection S
//     owns (fragments inlined, other subgraphs' fields left out), the
//     client's response keys kept, and the operation's variables the
//     sub-document uses. Every object S returns also carries its type as
//     `_fs: __typename` and, for entities, its key fields as
//     `_fk_<field>: <field>` (client aliases must not use these names).
//   - A field of an entity that the subgraph that fetched the object does
//     not own is resolved by an owner T through _entities. Its resolver
//     returns a graphql-go thunk and registers the representation and the
//     selection with a per-request loader; graphql-go v0.8.1 runs thunks
//     breadth first after the rest of a level (executor.go,
//     dethunkMapWithBreadthFirstTraversal), so the first thunk of a level
//     sends one request to T for every registration of that level:
//     representations deduplicated, one aliased field (_f0, _f1, ...) per
//     distinct selection. Nested hops (visits -> patient -> name) make one
//     request per subgraph and level.
//   - Subgraph errors keep their message and extensions; their paths are
//     rewritten to the client's. graphql-go loses the extensions of a
//     thunk's error and nulls the whole response when a thunk of a non-null
//     field fails, so such errors are recorded by the loader, a placeholder
//     is completed, and Do applies GraphQL null propagation afterwards.
//
// Subscriptions are the gateway's (Options.Subscribers). Not done: root fields of one subgraph are sent one request
// each (not merged); nested (`a { b }`) and multiple @key field sets are
// reduced to their top-level fields; @requires/@provides/@override are
// ignored; field types that differ between subgraphs are not checked (the
// first definition wins).
package supergraph
