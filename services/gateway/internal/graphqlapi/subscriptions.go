package graphqlapi

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"carecoord/pkg/auth"
	"carecoord/pkg/eventstore"
)

// Stream categories the subscriptions read: a stream is "<category>-<id>"
// (pkg/aggregate), and the id is the record's.
const (
	fallIncidentPrefix = "fallincident-"
	bedPrefix          = "bed-"
)

// fallsQueueChanged is the Subscribe resolver of
// Subscription.fallsQueueChanged: each event of a falls incident's stream is
// answered with the incident as the subscriber sees it now. An incident the
// subscriber may not see is left out.
func (l liveSource) fallsQueueChanged() graphql.FieldResolveFn {
	return subscribeErrors(func(p graphql.ResolveParams) (any, error) {
		if _, err := auth.RequireRole(p.Context, auth.FallsDispatcher, auth.Admin); err != nil {
			return nil, err
		}
		sels := selectionsOf(p.Info)
		return l.events(p.Context, "fallsQueueChanged", eventstore.Filter{StreamPrefixes: []string{fallIncidentPrefix}},
			func(ctx context.Context, e *eventstore.RecordedEvent) any {
				id := strings.TrimPrefix(e.Stream, fallIncidentPrefix)
				if v := fetchOne(ctx, l.sg(), p.Info, "fallIncident", id, sels); v != nil {
					return v
				}
				return nil
			})
	})
}

// bedHospitalAlias reads a bed's hospital for the hospitalId filter.
const bedHospitalAlias = "_gwHospital"

// bedBoardChanged is the Subscribe resolver of Subscription.bedBoardChanged:
// each change of a bed (reserved, occupied, vacated, cleaned, closed,
// reopened) is answered with the bed as it is now, of one hospital or all.
// The bed board is every signed-in role's to see, as the bedBoard query
// is; who is in a bed (Bed.stay) is the beds service's to decide.
func (l liveSource) bedBoardChanged() graphql.FieldResolveFn {
	return subscribeErrors(func(p graphql.ResolveParams) (any, error) {
		if _, err := auth.Require(p.Context); err != nil {
			return nil, err
		}
		hospital, _ := p.Args["hospitalId"].(string)
		sels := append(selectionsOf(p.Info), hiddenField(bedHospitalAlias, "hospitalId"))
		return l.events(p.Context, "bedBoardChanged", eventstore.Filter{StreamPrefixes: []string{bedPrefix}},
			func(ctx context.Context, e *eventstore.RecordedEvent) any {
				bed := fetchOne(ctx, l.sg(), p.Info, "bed", strings.TrimPrefix(e.Stream, bedPrefix), sels)
				if bed == nil || (hospital != "" && bed[bedHospitalAlias] != hospital) {
					return nil
				}
				delete(bed, bedHospitalAlias)
				return bed
			})
	})
}

// localityRecords are the records a LocalityEvent can carry: the field, the
// root query that fetches one by id, and how an event names its record.
var localityRecords = []struct {
	field, root string
	id          func(*eventstore.RecordedEvent) string
}{
	{"referral", "referral", streamID("referral-")},
	{"episode", "caseloadEpisode", streamID("episode-")},
	{"fall", "fallIncident", streamID(fallIncidentPrefix)},
	{"bedRequest", "bedRequest", streamID("bedrequest-")},
	{"bedStay", "bedStay", dataID("stayId", "placement-")},
}

// streamID names the record by the event's stream: "<prefix><id>".
func streamID(prefix string) func(*eventstore.RecordedEvent) string {
	return func(e *eventstore.RecordedEvent) string {
		id, ok := strings.CutPrefix(e.Stream, prefix)
		if !ok {
			return ""
		}
		return id
	}
}

// dataID names the record by a field of the event's data, for events of
// streams that hold several records (a patient's placements hold their
// stays).
func dataID(key, prefix string) func(*eventstore.RecordedEvent) string {
	return func(e *eventstore.RecordedEvent) string {
		if !strings.HasPrefix(e.Stream, prefix) {
			return ""
		}
		var data map[string]any
		if json.Unmarshal(e.Data, &data) != nil {
			return ""
		}
		id, _ := data[key].(string)
		return id
	}
}

// localityServices are the services whose events reach localityChanged.
var localityServices = []string{"referrals", "caseload", "beds", "falls"}

// localityChanged is the Subscribe resolver of
// Subscription.localityChanged: every event of the four services about the
// locality's patients, with the record it changed as the subscriber sees
// it now. ICT clinicians subscribe to their own localities; admins to any.
func (l liveSource) localityChanged() graphql.FieldResolveFn {
	return subscribeErrors(func(p graphql.ResolveParams) (any, error) {
		v, err := auth.RequireRole(p.Context, auth.ICTClinician, auth.Admin)
		if err != nil {
			return nil, err
		}
		loc, _ := p.Args["localityId"].(string)
		if err := v.RequireLocality(loc); err != nil {
			return nil, err
		}
		// The records each field of LocalityEvent asks for, by response key.
		wanted := make([]map[string][]ast.Selection, len(localityRecords))
		for i, r := range localityRecords {
			wanted[i] = map[string][]ast.Selection{}
			fieldsNamed(selectionsOf(p.Info), p.Info.Fragments, r.field, wanted[i])
		}
		return l.events(p.Context, "localityChanged", eventstore.Filter{},
			func(ctx context.Context, e *eventstore.RecordedEvent) any {
				service, name, _ := strings.Cut(e.Type, ".")
				if e.Metadata.Locality != loc || !slices.Contains(localityServices, service) {
					return nil
				}
				name, _, _ = strings.Cut(name, ".")
				ev := map[string]any{
					"id": e.ID.String(), "localityId": loc, "service": service, "type": name,
					"at": e.RecordedAt.UTC().Format(time.RFC3339Nano),
				}
				for i, r := range localityRecords {
					id := r.id(e)
					for key, sels := range wanted[i] {
						if id == "" {
							ev[key] = nil
							continue
						}
						ev[key] = nullable(fetchOne(ctx, l.sg(), p.Info, r.root, id, sels))
					}
				}
				return ev
			})
	})
}

// nullable makes a nil map a GraphQL null.
func nullable(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}
