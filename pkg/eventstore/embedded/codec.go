package embedded

import (
	"encoding/binary"
	"errors"
	"maps"
	"slices"
	"time"

	"carecoord/pkg/eventstore"
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
// stream, type, metadata, data. Strings and bytes are length-prefixed. The
// position is the key, so it is not repeated here.
func encodeRecord(buf []byte, stream string, rev uint64, recordedAt time.Time, ev *eventstore.EventData) []byte {
	buf = append(buf, recordVersion)
	buf = append(buf, ev.ID[:]...)
	buf = binary.AppendUvarint(buf, rev)
	buf = binary.AppendVarint(buf, recordedAt.UnixNano())
	buf = appendString(buf, stream)
	buf = appendString(buf, ev.Type)
	m := &ev.Metadata
	buf = appendString(buf, m.CorrelationID)
	buf = appendString(buf, m.CausationID)
	buf = appendString(buf, m.Actor)
	buf = appendString(buf, m.Locality)
	if m.OccurredAt.IsZero() {
		buf = append(buf, 0)
	} else {
		buf = append(buf, 1)
		buf = binary.AppendVarint(buf, m.OccurredAt.UnixNano())
	}
	// Extra is written in key order so that every replica encodes the same
	// event to the same bytes (the raft backend compares logs by digest).
	buf = binary.AppendUvarint(buf, uint64(len(m.Extra)))
	for _, k := range slices.Sorted(maps.Keys(m.Extra)) {
		buf = appendString(buf, k)
		buf = appendString(buf, m.Extra[k])
	}
	buf = binary.AppendUvarint(buf, uint64(len(ev.Data)))
	return append(buf, ev.Data...)
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.err = errCorrupt
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string { return string(r.bytes(r.uvarint())) }

// recordHeader is the part of a record needed to filter or check idempotency
// without copying the payload.
type recordHeader struct {
	id     [16]byte
	rev    uint64
	stream string
	typ    string
}

func decodeHeader(b []byte) (recordHeader, *reader, int64, error) {
	var h recordHeader
	if len(b) < 17 || b[0] != recordVersion {
		return h, nil, 0, errCorrupt
	}
	copy(h.id[:], b[1:17])
	r := &reader{b: b[17:]}
	h.rev = r.uvarint()
	recorded := r.varint()
	h.stream = r.string()
	h.typ = r.string()
	return h, r, recorded, r.err
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
	m := &ev.Metadata
	m.CorrelationID = r.string()
	m.CausationID = r.string()
	m.Actor = r.string()
	m.Locality = r.string()
	if flag := r.bytes(1); len(flag) == 1 && flag[0] == 1 {
		m.OccurredAt = time.Unix(0, r.varint()).UTC()
	}
	if n := r.uvarint(); n > 0 && r.err == nil {
		if n > uint64(len(r.b)) {
			return ev, errCorrupt
		}
		m.Extra = make(map[string]string, n)
		for i := uint64(0); i < n; i++ {
			k := r.string()
			m.Extra[k] = r.string()
		}
	}
	data := r.bytes(r.uvarint())
	if r.err != nil {
		return ev, r.err
	}
	ev.Data = append([]byte(nil), data...)
	return ev, nil
}
