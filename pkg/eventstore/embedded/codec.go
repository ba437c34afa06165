package embedded

import (
	"encoding/binary"
	"errors"
	"time"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/eventcodec"
)

// The key space. One-byte prefixes keep the families apart and ordered:
//
//	'e' pos(8)                    -> event record           (the global log)
//	's' stream 0x00 rev(8)        -> pos(8)                 (stream index)
//	'i' eventID(16)               -> pos(8)                 (idempotency index)
//	'd' stream                    -> empty                  (tombstone)
//	'm' name                      -> value                  (store metadata)
//
// Integers are big-endian so that byte order is numeric order.
const (
	prefixEvent     = 'e'
	prefixStream    = 's'
	prefixID        = 'i'
	prefixTombstone = 'd'
	prefixMeta      = 'm'
)

// metaAppliedIndex records the last raft log index applied (raft backend).
var metaAppliedIndex = []byte{prefixMeta, 'a', 'p', 'p', 'l', 'i', 'e', 'd'}

func eventKey(pos eventstore.Position) []byte {
	k := make([]byte, 9)
	k[0] = prefixEvent
	binary.BigEndian.PutUint64(k[1:], uint64(pos))
	return k
}

func posFromEventKey(k []byte) eventstore.Position {
	return eventstore.Position(binary.BigEndian.Uint64(k[1:]))
}

func streamPrefix(stream string) []byte {
	k := make([]byte, 0, len(stream)+2)
	k = append(k, prefixStream)
	k = append(k, stream...)
	return append(k, 0)
}

func streamKey(stream string, rev uint64) []byte {
	k := make([]byte, 0, len(stream)+10)
	k = append(k, prefixStream)
	k = append(k, stream...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, rev)
}

func revFromStreamKey(k []byte) uint64 { return binary.BigEndian.Uint64(k[len(k)-8:]) }

func idKey(id [16]byte) []byte {
	k := make([]byte, 17)
	k[0] = prefixID
	copy(k[1:], id[:])
	return k
}

func tombstoneKey(stream string) []byte {
	return append([]byte{prefixTombstone}, stream...)
}

func encodePos(pos eventstore.Position) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(pos))
}

func decodePos(b []byte) (eventstore.Position, error) {
	if len(b) != 8 {
		return 0, errCorrupt
	}
	return eventstore.Position(binary.BigEndian.Uint64(b)), nil
}

var errCorrupt = errors.New("embedded: corrupt record")

const recordVersion = 1

// encodeRecord lays an event out as: version, id, revision, recorded-at,
// stream, type, metadata, data. Strings and bytes are length-prefixed (the
// layout of pkg/eventstore/eventcodec, which the raft log entries share).
// The position is the key, so it is not repeated here.
func encodeRecord(buf []byte, stream string, rev uint64, recordedAt time.Time, ev *eventstore.EventData) []byte {
	buf = append(buf, recordVersion)
	buf = append(buf, ev.ID[:]...)
	buf = binary.AppendUvarint(buf, rev)
	buf = binary.AppendVarint(buf, recordedAt.UnixNano())
	buf = eventcodec.AppendString(buf, stream)
	buf = eventcodec.AppendString(buf, ev.Type)
	buf = eventcodec.AppendMetadata(buf, &ev.Metadata)
	buf = binary.AppendUvarint(buf, uint64(len(ev.Data)))
	return append(buf, ev.Data...)
}

// recordHeader is the part of a record needed to filter or check idempotency
// without copying the payload.
type recordHeader struct {
	id     [16]byte
	rev    uint64
	stream string
	typ    string
}

func decodeHeader(b []byte) (recordHeader, *eventcodec.Reader, int64, error) {
	var h recordHeader
	if len(b) < 17 || b[0] != recordVersion {
		return h, nil, 0, errCorrupt
	}
	copy(h.id[:], b[1:17])
	r := eventcodec.NewReader(b[17:], errCorrupt)
	h.rev = r.Uvarint()
	recorded := r.Varint()
	h.stream = r.String()
	h.typ = r.String()
	return h, r, recorded, r.Err
}

// decodeRecord copies a stored record into a RecordedEvent (the input buffer
// belongs to pebble and may be reused).
func decodeRecord(pos eventstore.Position, b []byte) (eventstore.RecordedEvent, error) {
	h, r, recorded, err := decodeHeader(b)
	if err != nil {
		return eventstore.RecordedEvent{}, err
	}
	ev := eventstore.RecordedEvent{
		ID:         h.id,
		Stream:     h.stream,
		Type:       h.typ,
		Revision:   h.rev,
		Position:   pos,
		RecordedAt: time.Unix(0, recorded).UTC(),
	}
	r.Metadata(&ev.Metadata)
	data := r.Bytes(r.Uvarint())
	if r.Err != nil {
		return ev, r.Err
	}
	ev.Data = append([]byte(nil), data...)
	return ev, nil
}
