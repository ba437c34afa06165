package graphqlapi

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/graphql-go/graphql"

	"carecoord/pkg/audit"
	"carecoord/pkg/auth"
	"carecoord/pkg/gql"
	"carecoord/pkg/locality"
	"carecoord/pkg/nhsnumber"
	"carecoord/pkg/supergraph"
)

// gatewaySDL is the part of the public schema the gateway owns: its own
// root fields, the reference data of Locality, and Patient.timeline (the
// services' timelines merged).
const gatewaySDL = `
"""The process answering the request."""
type ServerInfo {
  """The build that is running."""
  version: String!
  """The event store implementation: embedded, raft or kurrentdb."""
  storeBackend: String!
  """The global position of the last event this process's store holds (a replica's own view; admin only)."""
  logPosition: String
  """This process as a node of a raft cluster; null when it is not one (admin only)."""
  node: ClusterNode
}

"""A node of a raft cluster, as it sees itself."""
type ClusterNode {
  id: ID!
  """Leader, Follower, Candidate or Shutdown."""
  state: String!
  """The leader this node knows, if any."""
  leaderId: ID
  """The last raft index applied to this node's store."""
  appliedIndex: String!
}

"""A digest of the event log up to a position: equal on every replica that holds the same log."""
type StoreDigest {
  upTo: String!
  """How many events up to and including upTo."""
  events: Int!
  """SHA-256 over every event's id, stream, revision, position, type, data, metadata and recorded time, in log order."""
  sha256: String!
}

"""The signed-in user, as their token describes them."""
type Viewer {
  id: ID!
  name: String
  role: String!
  organisation: String
  """The localities whose patients the user may see; every locality for roles that work county-wide."""
  localities: [ID!]!
}

"""Whether an audited request only read records or also changed them."""
enum AuditKind {
  """A query."""
  READ
  """A mutation."""
  COMMAND
}

"""One request that read or changed a patient's record."""
type AuditEntry {
  """The request."""
  requestId: ID!
  """The request's correlation ID, as the logs show it."""
  correlationId: String
  """Who: the user's ID."""
  userId: ID!
  """Who: the user's name."""
  userName: String
  """The user's role."""
  role: String!
  """The user's organisation."""
  organisation: String
  """What: the GraphQL operation name, or the endpoint of an unnamed one."""
  operation: String!
  """Where the request came in."""
  endpoint: String
  """Read or command."""
  kind: AuditKind!
  """When (RFC 3339, UTC)."""
  at: String!
  """Whether the user broke glass to reach the record: for review."""
  breakGlass: Boolean!
  """The reason given for breaking glass."""
  breakGlassReason: String
}

"""A GP practice, by its ODS code."""
type GpPractice {
  code: String!
  name: String!
  postcodeArea: String
}

extend type Locality {
  """The locality's name."""
  name: String!
  """The GP practices whose patients belong to the locality."""
  gpPractices: [GpPractice!]!
}

extend type Patient {
  """Every event of this patient across the services, in time order."""
  timeline: [TimelineEntry!]!
}

type Query {
  """The process answering this request."""
  serverInfo: ServerInfo!
  """A digest of this process's event log up to a position, to check that replicas hold the same log (admin only)."""
  storeDigest(upTo: String!): StoreDigest!
  """Who the token says you are: your role and localities."""
  me: Viewer!
  """Who has read or changed a patient's record, newest first (admin only)."""
  auditTrail(nhsNumber: String!): [AuditEntry!]!
  """The localities you reach (every locality for roles that work county-wide)."""
  localities: [Locality!]!
  """A locality by id, or null if there is none. Its services' fields say FORBIDDEN outside your localities."""
  locality(id: ID!): Locality
  """A patient by NHS number. The services' fields hold only what you may see."""
  patient(nhsNumber: String!): Patient
}
`

// subscriptionSDL is the gateway's subscriptions on the services' types,
// and the names of the subscription fields it declares: each is composed
// only when the subgraphs owning its types are.
func subscriptionSDL(hosted map[string]supergraph.Subgraph) (sdl string, names []string) {
	var fields []string
	if hosted["falls"] != nil {
		names = append(names, "fallsQueueChanged")
		fields = append(fields, `  """A falls incident was reported or changed: the incident as it is now (dispatchers and admins)."""
  fallsQueueChanged: FallIncident!`)
	}
	if hosted["beds"] != nil {
		names = append(names, "bedBoardChanged")
		fields = append(fields, `  """A bed changed state (reserved, occupied, vacated, cleaned, closed, reopened): the bed as it is now, of one hospital or all."""
  bedBoardChanged(hospitalId: ID): Bed!`)
	}
	var records []string
	for _, r := range []struct{ service, field, typ, doc string }{
		{"referrals", "referral", "Referral", "The referral the event changed, as you may see it now."},
		{"caseload", "episode", "CaseloadEpisode", "The caseload episode the event changed."},
		{"falls", "fall", "FallIncident", "The falls incident the event changed."},
		{"beds", "bedRequest", "BedRequest", "The bed request the event changed."},
		{"beds", "bedStay", "BedStay", "The bed stay the event changed."},
	} {
		if hosted[r.service] != nil {
			records = append(records, fmt.Sprintf("  \"\"\"%s\"\"\"\n  %s: %s", r.doc, r.field, r.typ))
		}
	}
	if len(records) > 0 {
		names = append(names, "localityChanged")
		fields = append(fields, `  """Something changed for a locality's patients (ICT clinicians of the locality, and admins)."""
  localityChanged(localityId: ID!): LocalityEvent!`)
		sdl += `
"""One event of the referrals, caseload, beds or falls service about a locality's patient, with the record it changed."""
type LocalityEvent {
  """The event's id."""
  id: ID!
  localityId: ID!
  """The service that recorded it: referrals, caseload, beds or falls."""
  service: String!
  """What happened, e.g. ReferralTriaged, VisitRecorded, PatientAdmitted, FallReported."""
  type: String!
  """When it was recorded (RFC 3339, UTC)."""
  at: String!
` + strings.Join(records, "\n") + `
}
`
	}
	if len(fields) == 0 {
		return sdl, nil
	}
	return sdl + "\ntype Subscription {\n" + strings.Join(fields, "\n") + "\n}\n", names
}

// timelineOrder is the order of the services whose timelines make
// Patient.timeline; entries at the same instant keep it, so that causes
// (a fall, an admission) come before their effects (a referral, an
// episode).
var timelineOrder = []string{"falls", "beds", "referrals", "caseload"}

// Compose builds the public schema: the hosted subgraphs (by name) with
// the gateway's own types and fields.
func Compose(ctx context.Context, d Deps, subgraphs []supergraph.Subgraph) (*supergraph.Supergraph, error) {
	if d.Localities == nil {
		d.Localities = locality.Default()
	}
	reg := d.Localities
	byName := map[string]supergraph.Subgraph{}
	for _, s := range subgraphs {
		byName[s.Name()] = s
	}
	resolvers := map[string]graphql.FieldResolveFn{
		"Query.serverInfo": func(graphql.ResolveParams) (any, error) {
			return map[string]any{"version": d.ServerInfo.Version, "storeBackend": d.ServerInfo.StoreBackend}, nil
		},
		"ServerInfo.logPosition": gql.Resolver(func(p graphql.ResolveParams) (any, error) {
			if _, err := auth.RequireRole(p.Context, auth.Admin); err != nil {
				return nil, err
			}
			return logPosition(p.Context, d.Events)
		}),
		"ServerInfo.node": gql.Resolver(func(p graphql.ResolveParams) (any, error) {
			if _, err := auth.RequireRole(p.Context, auth.Admin); err != nil {
				return nil, err
			}
			if d.Node == nil {
				return nil, nil
			}
			n := d.Node()
			return map[string]any{"id": n.ID, "state": n.State, "leaderId": optional(n.LeaderID), "appliedIndex": strconv.FormatUint(n.AppliedIndex, 10)}, nil
		}),
		"Query.storeDigest": gql.Resolver(func(p graphql.ResolveParams) (any, error) {
			if _, err := auth.RequireRole(p.Context, auth.Admin); err != nil {
				return nil, err
			}
			return storeDigest(p.Context, d.Events, p.Args["upTo"].(string))
		}),
		"Query.me": gql.Resolver(func(p graphql.ResolveParams) (any, error) {
			v, err := auth.Require(p.Context)
			if err != nil {
				return nil, err
			}
			return map[string]any{"id": v.Subject, "name": v.Name, "role": string(v.Role),
				"organisation": v.Organisation, "localities": viewerLocalities(reg, v)}, nil
		}),
		"Query.auditTrail": gql.Resolver(func(p graphql.ResolveParams) (any, error) {
			entries, err := readAuditTrail(p.Context, d.AuditTrail, p.Args["nhsNumber"].(string))
			if err != nil {
				return nil, err
			}
			out := make([]any, len(entries))
			for i, e := range entries {
				out[i] = auditEntryMap(e)
			}
			return out, nil
		}),
		"Query.localities": gql.Resolver(func(p graphql.ResolveParams) (any, error) {
			v, err := auth.Require(p.Context)
			if err != nil {
				return nil, err
			}
			out := []any{}
			for _, l := range reg.All() {
				if v.Reaches(string(l.ID)) {
					out = append(out, map[string]any{"id": string(l.ID)})
				}
			}
			return out, nil
		}),
		"Query.locality": gql.Resolver(func(p graphql.ResolveParams) (any, error) {
			if _, err := auth.Require(p.Context); err != nil {
				return nil, err
			}
			l, ok := reg.Get(locality.ID(p.Args["id"].(string)))
			if !ok {
				return nil, nil
			}
			return map[string]any{"id": string(l.ID)}, nil
		}),
		"Query.patient": gql.Resolver(func(p graphql.ResolveParams) (any, error) {
			if _, err := auth.Require(p.Context); err != nil {
				return nil, err
			}
			n, err := nhsnumber.Parse(p.Args["nhsNumber"].(string))
			if err != nil {
				return nil, err
			}
			// The entity key only: each service's fields check reach.
			return map[string]any{"nhsNumber": n.String()}, nil
		}),
		"Locality.name": func(p graphql.ResolveParams) (any, error) {
			l, ok := reg.Get(locality.ID(fmt.Sprint(supergraph.Key(p.Source, "id"))))
			if !ok {
				return nil, fmt.Errorf("unknown locality")
			}
			return l.Name, nil
		},
		"Locality.gpPractices": func(p graphql.ResolveParams) (any, error) {
			l, ok := reg.Get(locality.ID(fmt.Sprint(supergraph.Key(p.Source, "id"))))
			if !ok {
				return []any{}, nil
			}
			out := make([]any, len(l.Practices))
			for i, pr := range l.Practices {
				out[i] = map[string]any{"code": pr.Code, "name": pr.Name, "postcodeArea": optional(pr.PostcodeArea)}
			}
			return out, nil
		},
		"Patient.timeline": func(p graphql.ResolveParams) (any, error) {
			n, _ := supergraph.Key(p.Source, "nhsNumber").(string)
			return timeline(p.Context, byName, n)
		},
	}
	// The gateway's own objects are maps keyed by field name.
	for typ, fields := range map[string][]string{
		"ServerInfo":  {"version", "storeBackend"},
		"ClusterNode": {"id", "state", "leaderId", "appliedIndex"},
		"StoreDigest": {"upTo", "events", "sha256"},
		"Viewer":      {"id", "name", "role", "organisation", "localities"},
		"AuditEntry":  {"requestId", "correlationId", "userId", "userName", "role", "organisation", "operation", "endpoint", "kind", "at", "breakGlass", "breakGlassReason"},
		"GpPractice":  {"code", "name", "postcodeArea"},
	} {
		for _, f := range fields {
			resolvers[typ+"."+f] = mapField
		}
	}
	// A subscription's events are fetched through the supergraph itself.
	var sg *supergraph.Supergraph
	live := liveSource{store: d.Events, sg: func() *supergraph.Supergraph { return sg }, waitHandled: d.WaitHandled, audit: d.Audit}
	subSDL, declared := subscriptionSDL(byName)
	extra := gatewaySDL + subSDL
	subscribe := map[string]func() graphql.FieldResolveFn{
		"fallsQueueChanged": live.fallsQueueChanged,
		"bedBoardChanged":   live.bedBoardChanged,
		"localityChanged":   live.localityChanged,
	}
	subscribers := map[string]graphql.FieldResolveFn{}
	for _, field := range declared {
		subscribers["Subscription."+field] = subscribe[field]()
	}
	for _, f := range []string{"id", "localityId", "service", "type", "at"} {
		resolvers["LocalityEvent."+f] = mapField
	}
	sg, err := supergraph.Compose(ctx, subgraphs, supergraph.Options{Extra: extra, Resolvers: resolvers, Subscribers: subscribers})
	if err != nil {
		return nil, err
	}
	return sg, nil
}

func mapField(p graphql.ResolveParams) (any, error) {
	m, _ := p.Source.(map[string]any)
	return m[p.Info.FieldName], nil
}

func auditEntryMap(e audit.Entry) map[string]any {
	return map[string]any{
		"requestId": e.RequestID, "correlationId": optional(e.CorrelationID), "userId": e.Subject,
		"userName": optional(e.Name), "role": e.Role, "organisation": optional(e.Organisation),
		"operation": e.Operation, "endpoint": optional(e.Endpoint), "kind": string(e.Kind),
		"at": gql.Time(e.At), "breakGlass": e.BreakGlass, "breakGlassReason": optional(e.BreakGlassReason),
	}
}

// subgraphError is a subgraph's error, with its extensions.
type subgraphError struct{ supergraph.GraphQLError }

func (e subgraphError) Extensions() map[string]any { return e.GraphQLError.Extensions }

// timeline merges the hosted services' <service>Timeline entries of a
// patient in time order (ties: timelineOrder). It asks each hosted subgraph
// directly, with the request's context: one _entities request per subgraph
// per patient, which is fine for patient(nhsNumber); a list of patients
// with their timelines would want the supergraph's batching loader instead.
//
// Each role sees the entries of the services it may see (a bed manager the
// beds', a dispatcher the falls'), so a service that refuses the viewer
// (FORBIDDEN) contributes nothing, as one that hides what the viewer may
// not see does; only when every service refused is the timeline FORBIDDEN.
// Any other error (UNAUTHENTICATED, INTERNAL, a transport failure) fails
// it: a timeline missing a service's entries for another reason would
// mislead.
func timeline(ctx context.Context, subgraphs map[string]supergraph.Subgraph, nhsNumber string) ([]any, error) {
	type entry struct {
		at   time.Time
		data map[string]any
	}
	var entries []entry
	var refusal error
	answered := 0
	reps := map[string]any{"r": []any{map[string]any{"__typename": "Patient", "nhsNumber": nhsNumber}}}
	for _, name := range timelineOrder {
		sub := subgraphs[name]
		if sub == nil {
			continue
		}
		field := name + "Timeline"
		query := `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Patient { ` + field + ` { at service type summary refId } } } }`
		data, errs, err := sub.Do(ctx, query, reps)
		if err != nil {
			return nil, err
		}
		if len(errs) > 0 {
			if !onlyForbidden(errs) {
				return nil, subgraphError{firstNotForbidden(errs)}
			}
			if refusal == nil {
				refusal = subgraphError{errs[0]}
			}
			continue
		}
		answered++
		list, _ := data["_entities"].([]any)
		if len(list) == 0 {
			continue
		}
		pat, _ := list[0].(map[string]any)
		items, _ := pat[field].([]any)
		for _, it := range items {
			m, ok := it.(map[string]any)
			if !ok {
				continue
			}
			s, _ := m["at"].(string)
			at, _ := time.Parse(time.RFC3339Nano, s)
			entries = append(entries, entry{at: at, data: m})
		}
	}
	if answered == 0 && refusal != nil {
		return nil, refusal
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].at.Before(entries[j].at) })
	out := make([]any, len(entries))
	for i, e := range entries {
		out[i] = e.data
	}
	return out, nil
}

// onlyForbidden reports whether a subgraph's errors all say FORBIDDEN: it
// refused the viewer, and failed for no other reason.
func onlyForbidden(errs []supergraph.GraphQLError) bool {
	for _, e := range errs {
		if e.Extensions["code"] != "FORBIDDEN" {
			return false
		}
	}
	return true
}

// firstNotForbidden is the first of a subgraph's errors that is not a
// refusal.
func firstNotForbidden(errs []supergraph.GraphQLError) supergraph.GraphQLError {
	for _, e := range errs {
		if e.Extensions["code"] != "FORBIDDEN" {
			return e
		}
	}
	return errs[0]
}
