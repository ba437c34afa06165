package kurrentdb

import (
	"bytes"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
)

func TestToExpectedMapsEveryKindAndNeverReturnsNil(t *testing.T) {
	cases := []struct {
		in   eventstore.ExpectedRevision
		want esdb.ExpectedRevision
	}{
		{eventstore.Any, esdb.Any{}},
		{eventstore.ExpectedRevision{}, esdb.Any{}}, // the zero value is Any, set explicitly
		{eventstore.NoStream, esdb.NoStream{}},
		{eventstore.StreamExists, esdb.StreamExists{}},
		{eventstore.Exact(0), esdb.StreamRevision{Value: 0}},
		{eventstore.Exact(41), esdb.StreamRevision{Value: 41}},
		{eventstore.Exact(1 << 40), esdb.StreamRevision{Value: 1 << 40}},
	}
	for _, c := range cases {
		got := toExpected(c.in)
		if got == nil {
			t.Fatalf("%s: nil expectation (the client would turn it into Any)", c.in)
		}
		if got != c.want {
			t.Errorf("%s: got %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestPositionEncoding(t *testing.T) {
	// An event at log offset 4096 and the next one at 4321.
	a, b := fromLog(4096), fromLog(4321)
	if a >= b {
		t.Fatalf("positions do not keep log order: %d, %d", a, b)
	}
	if off, exact := toLog(a); off != 4096 || !exact {
		t.Fatalf("toLog(fromLog(4096)) = %d, %v", off, exact)
	}
	// Position+1, the usual "strictly after" bound, names the same offset,
	// not exactly: reads start after the event there, and it is still below
	// the next event's position.
	if off, exact := toLog(a + 1); off != 4096 || exact {
		t.Fatalf("toLog(a+1) = %d, %v; want 4096, false", off, exact)
	}
	if a+1 >= b {
		t.Fatalf("a+1 = %d is not before the next event at %d", a+1, b)
	}
	if off, exact := toLog(b - 1); off != 4320 || exact {
		t.Fatalf("toLog(b-1) = %d, %v", off, exact)
	}
	// An unknown position (old servers on stream reads) is reported as 0.
	if got := fromLog(unknownPosition); got != 0 {
		t.Fatalf("unknown position became %d", got)
	}
	// Start reads from the beginning, never from an explicit offset 0.
	if _, ok := allFrom(0).(esdb.Start); !ok {
		t.Fatalf("allFrom(0) = %#v, want esdb.Start{}", allFrom(0))
	}
	if got := allFrom(4096); got != (esdb.Position{Commit: 4096, Prepare: 4096}) {
		t.Fatalf("allFrom(4096) = %#v", got)
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	loc := time.FixedZone("BST", 3600)
	ev := eventstore.EventData{
		ID:   uuid.New(),
		Type: "falls.FallReported.v1",
		Data: []byte(`{"incident":"i-1"}`),
		Metadata: eventstore.Metadata{
			CorrelationID: "corr-1",
			CausationID:   "cause-1",
			Actor:         "user-7",
			Locality:      "leek",
			OccurredAt:    time.Date(2026, 3, 14, 9, 26, 53, 589_793_238, loc),
			Extra:         map[string]string{"commandId": "c-9"},
		},
	}
	data, err := toEventData(0, ev)
	if err != nil {
		t.Fatal(err)
	}
	if data.EventID != ev.ID || data.EventType != ev.Type || !bytes.Equal(data.Data, ev.Data) {
		t.Fatalf("event data changed: %+v", data)
	}
	if data.ContentType != esdb.ContentTypeJson {
		t.Fatalf("content type %v, want JSON", data.ContentType)
	}
	// The stored metadata uses the contract's JSON names.
	for _, key := range []string{`"correlationId":"corr-1"`, `"causationId":"cause-1"`, `"actor":"user-7"`, `"locality":"leek"`, `"occurredAt":`, `"commandId":"c-9"`} {
		if !strings.Contains(string(data.Metadata), key) {
			t.Errorf("metadata %s lacks %s", data.Metadata, key)
		}
	}

	recordedAt := time.Date(2026, 3, 14, 9, 27, 0, 0, time.UTC)
	rec := &esdb.RecordedEvent{
		EventID:      data.EventID,
		EventType:    data.EventType,
		ContentType:  "application/json",
		StreamID:     "falls-incident-1",
		EventNumber:  3,
		Position:     esdb.Position{Commit: 8192, Prepare: 8192},
		CreatedDate:  recordedAt,
		Data:         data.Data,
		UserMetadata: data.Metadata,
	}
	got := toRecorded(rec)
	if got.ID != ev.ID || got.Type != ev.Type || got.Stream != "falls-incident-1" || got.Revision != 3 || !bytes.Equal(got.Data, ev.Data) {
		t.Fatalf("recorded event %+v", got)
	}
	if got.Position != fromLog(8192) || !got.RecordedAt.Equal(recordedAt) {
		t.Fatalf("position %d recorded-at %v", got.Position, got.RecordedAt)
	}
	m := got.Metadata
	if m.CorrelationID != "corr-1" || m.CausationID != "cause-1" || m.Actor != "user-7" || m.Locality != "leek" {
		t.Fatalf("metadata came back as %+v", m)
	}
	if !m.OccurredAt.Equal(ev.Metadata.OccurredAt) {
		t.Fatalf("occurred-at %v, want %v", m.OccurredAt, ev.Metadata.OccurredAt)
	}
	if len(m.Extra) != 1 || m.Extra["commandId"] != "c-9" {
		t.Fatalf("extra %v", m.Extra)
	}
}

func TestZeroMetadataIsCompactAndForeignMetadataReadsAsEmpty(t *testing.T) {
	b, err := encodeMetadata(eventstore.Metadata{})
	if err != nil || string(b) != "{}" {
		t.Fatalf("zero metadata encodes as %q, %v", b, err)
	}
	for _, in := range []string{"", "  ", "not json", `["a"]`} {
		if m := decodeMetadata([]byte(in)); m.CorrelationID != "" || m.Extra != nil || !m.OccurredAt.IsZero() {
			t.Errorf("metadata %q decoded as %+v", in, m)
		}
	}
}

func TestUnencodableMetadataIsAnInvalidEvent(t *testing.T) {
	ev := eventstore.EventData{ID: uuid.New(), Type: "t.T.v1", Metadata: eventstore.Metadata{OccurredAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}
	_, err := toEventData(2, ev)
	if !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Fatalf("error %v, want ErrInvalidEvent", err)
	}
}

func TestIsServerEvent(t *testing.T) {
	cases := []struct {
		stream, typ string
		server      bool
	}{
		{"referral-1", "referrals.ReferralMade.v1", false},
		{"$parked-caseload-projection", "referrals.ReferralMade.v1", false}, // carecoord's own system stream
		{"$audit-2026-03", "gateway.Read.v1", false},
		{"referral-1", "$streamDeleted", true}, // tombstone record in a carecoord stream
		{"$$referral-1", "$metadata", true},
		{"$$referral-1", "anything", true},
		{"$stats-127.0.0.1:2113", "$statsCollected", true},
		{"$scavenges", "$scavengeStarted", true},
		{"$user-admin", "$user", true},
		{"$projections-$all", "$ProjectionsInitialized", true},
		{"$projections-x-result", "Result", true},
		{"$persistentsubscription-$all::g-parked", "x", true},
		{"$ce-referral", "$>", true},
	}
	for _, c := range cases {
		if got := isServerEvent(c.stream, c.typ); got != c.server {
			t.Errorf("isServerEvent(%q, %q) = %v, want %v", c.stream, c.typ, got, c.server)
		}
	}
}

func TestServerFilter(t *testing.T) {
	t.Run("event types become an anchored exact-match regex", func(t *testing.T) {
		f := serverFilter(eventstore.Filter{EventTypes: []string{"beds.BedClosed.v1", "falls.FallReported.v1", "beds.BedClosed.v1"}})
		if f.Type != esdb.EventFilterType || len(f.Prefixes) != 0 {
			t.Fatalf("filter %+v", f)
		}
		re := regexp.MustCompile(f.Regex) // the server's .NET regex uses the same syntax here
		for typ, want := range map[string]bool{
			"beds.BedClosed.v1":      true,
			"falls.FallReported.v1":  true,
			"beds.BedClosed.v10":     false, // a prefix filter would let this through
			"xbeds.BedClosed.v1":     false,
			"bedsXBedClosed.v1":      false, // dots are literal
			"beds.BedReopened.v1":    false,
			"falls.FallReported.v1 ": false,
		} {
			if re.MatchString(typ) != want {
				t.Errorf("regex %s on %q: %v, want %v", f.Regex, typ, !want, want)
			}
		}
	})
	t.Run("stream prefixes are passed through", func(t *testing.T) {
		in := eventstore.Filter{StreamPrefixes: []string{"beds-", "$parked-"}}
		f := serverFilter(in)
		if f.Type != esdb.StreamFilterType || f.Regex != "" || !slices.Equal(f.Prefixes, in.StreamPrefixes) {
			t.Fatalf("filter %+v", f)
		}
		f.Prefixes[0] = "changed"
		if in.StreamPrefixes[0] != "beds-" {
			t.Fatal("server filter shares the caller's slice")
		}
	})
	t.Run("both: event types on the server, prefixes here", func(t *testing.T) {
		f := serverFilter(eventstore.Filter{EventTypes: []string{"beds.BedClosed.v1"}, StreamPrefixes: []string{"beds-"}})
		if f.Type != esdb.EventFilterType || len(f.Prefixes) != 0 {
			t.Fatalf("filter %+v", f)
		}
		var c cursor
		c.filter = eventstore.Filter{EventTypes: []string{"beds.BedClosed.v1"}, StreamPrefixes: []string{"beds-"}}
		c.interval = 100
		if got := c.observe(fromLog(100), "falls-1", "beds.BedClosed.v1"); got != actionNone {
			t.Fatalf("event outside the prefixes: %v, want actionNone", got)
		}
		if got := c.observe(fromLog(200), "beds-1", "beds.BedClosed.v1"); got != actionDeliver {
			t.Fatalf("matching event: %v, want actionDeliver", got)
		}
	})
	t.Run("zero filter excludes system streams on the server", func(t *testing.T) {
		f := serverFilter(eventstore.Filter{})
		if f.Type != esdb.StreamFilterType || len(f.Prefixes) != 0 {
			t.Fatalf("filter %+v", f)
		}
		re := regexp.MustCompile(f.Regex)
		if !re.MatchString("referral-1") || re.MatchString("$parked-x") || re.MatchString("$$referral-1") {
			t.Fatalf("regex %s selects the wrong streams", f.Regex)
		}
	})
}

func TestCheckpointSettings(t *testing.T) {
	cases := []struct{ n, window, multiplier int }{
		{1, 32, 1},
		{32, 32, 1},
		{100, 100, 1},
		{1024, 1024, 1},
		{4096, 4096, 1},
		{10000, 4096, 2},
	}
	for _, c := range cases {
		w, m := checkpointSettings(c.n)
		if w != c.window || m != c.multiplier {
			t.Errorf("checkpointSettings(%d) = %d, %d; want %d, %d", c.n, w, m, c.window, c.multiplier)
		}
		if c.n >= minWindow && w*m > c.n {
			t.Errorf("checkpointSettings(%d): a checkpoint only every %d events", c.n, w*m)
		}
	}
}
