package eventcodec_test

import (
	"encoding/hex"
	"errors"
	"reflect"
	"testing"
	"time"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/eventcodec"
)

var errBad = errors.New("bad")

func TestMetadata_round_trips_and_keeps_its_bytes(t *testing.T) {
	m := eventstore.Metadata{
		CorrelationID: "c", CausationID: "d", Actor: "u1", Locality: "leek",
		OccurredAt: time.Unix(0, 1_700_000_000_000_000_000).UTC(),
		Extra:      map[string]string{"z": "2", "a": "1"},
	}
	buf := eventcodec.AppendMetadata(nil, &m)
	// The bytes are on disk (the embedded store's records, the raft log):
	// this layout must never change.
	const want = "01630164027531046c65656b01" + "8080d0e2c6bfce972f" + "0201610131017a0132"
	if got := hex.EncodeToString(buf); got != want {
		t.Fatalf("metadata bytes\n got %s\nwant %s", got, want)
	}
	r := eventcodec.NewReader(buf, errBad)
	var back eventstore.Metadata
	r.Metadata(&back)
	if r.Err != nil || len(r.B) != 0 || !reflect.DeepEqual(back, m) {
		t.Fatalf("read back %+v (%v, %d left), want %+v", back, r.Err, len(r.B), m)
	}
}

func TestReader_fails_once_on_short_input_and_reads_zeros_after(t *testing.T) {
	buf := eventcodec.AppendString(nil, "leek")
	r := eventcodec.NewReader(buf[:3], errBad)
	if s := r.String(); s != "" || !errors.Is(r.Err, errBad) {
		t.Fatalf("short string: %q, %v", s, r.Err)
	}
	if r.Uvarint() != 0 || r.Byte() != 0 || r.Varint() != 0 || r.Bytes(1) != nil {
		t.Fatal("reads after a failure returned values")
	}
	// An extra count larger than what is left is corrupt, not an
	// allocation of that size.
	r = eventcodec.NewReader([]byte{0, 0, 0, 0, 0, 0xff, 0x7f}, errBad)
	var m eventstore.Metadata
	if r.Metadata(&m); !errors.Is(r.Err, errBad) || m.Extra != nil {
		t.Fatalf("metadata with a huge extra count: %v, %v", r.Err, m.Extra)
	}
}
