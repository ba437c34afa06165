package raftstore

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
)

func sampleCommands() []*embedded.Command {
	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	return []*embedded.Command{
		{Stream: "referral-1", Expected: eventstore.NoStream, Events: []eventstore.EventData{{
			ID: uuid.New(), Type: "referrals.ReferralReceived.v1", Data: []byte(`{"a":1}`),
			Metadata: eventstore.Metadata{CorrelationID: "c", CausationID: "k", Actor: "u1", Locality: "loc-7", OccurredAt: at,
				Extra: map[string]string{"z": "1", "a": "2"}},
		}, {ID: uuid.New(), Type: "referrals.ReferralTriaged.v1"}}},
		{Stream: "bed-2", Expected: eventstore.Exact(41), Events: []eventstore.EventData{{ID: uuid.New(), Type: "beds.BedCleaned.v1", Data: []byte(`{}`)}}},
		{Stream: "x", Expected: eventstore.StreamExists, Events: []eventstore.EventData{{ID: uuid.New(), Type: "t.v1"}}},
		{Stream: "y", Expected: eventstore.Any, Delete: true},
	}
}

func TestEntry_round_trips_every_field(t *testing.T) {
	cmds := sampleCommands()
	at := time.Unix(0, 1_790_000_000_123_456_789).UTC()
	gotAt, got, err := decodeBatch(encodeBatch(nil, at, cmds))
	if err != nil {
		t.Fatal(err)
	}
	if !gotAt.Equal(at) {
		t.Fatalf("recorded-at %v, want %v", gotAt, at)
	}
	if len(got) != len(cmds) {
		t.Fatalf("%d commands, want %d", len(got), len(cmds))
	}
	for i := range cmds {
		want := *cmds[i]
		if !reflect.DeepEqual(*got[i], want) {
			t.Fatalf("command %d:\n got %+v\nwant %+v", i, *got[i], want)
		}
	}
}

func TestEntry_bytes_do_not_depend_on_map_order(t *testing.T) {
	cmds := sampleCommands()
	a := encodeBatch(nil, time.Unix(1, 0), cmds)
	for i := 0; i < 20; i++ {
		if b := encodeBatch(nil, time.Unix(1, 0), cmds); !bytes.Equal(a, b) {
			t.Fatal("the same batch encoded to different bytes")
		}
	}
}

func TestEntry_unknown_type_and_truncation_are_refused(t *testing.T) {
	enc := encodeBatch(nil, time.Unix(1, 0), sampleCommands())
	unknown := bytes.Clone(enc)
	unknown[0] = 99
	if _, _, err := decodeBatch(unknown); !errors.Is(err, errUnknownEntry) {
		t.Fatalf("unknown entry type: %v", err)
	}
	for cut := 1; cut < len(enc); cut += 7 {
		if _, _, err := decodeBatch(enc[:cut]); err == nil {
			t.Fatalf("an entry cut at %d of %d bytes decoded", cut, len(enc))
		}
	}
	if _, err := decodeCommand([]byte{cmdAppend, 0xff}); err == nil {
		t.Fatal("a garbled command decoded")
	}
}
