// Package eventcodec is the binary layout of an event's fields that the
// embedded store's records and the raft backend's log entries share:
// length-prefixed strings, and the metadata block. Both formats are on
// disk, so these bytes must never change; a new layout is a new record or
// entry version.
//
// It imports pkg/eventstore and the standard library.
package eventcodec

import (
	"encoding/binary"
	"maps"
	"slices"
	"time"

	"carecoord/pkg/eventstore"
)

// AppendString appends s with its length.
func AppendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// AppendMetadata appends an event's metadata: correlation, causation,
// actor and locality, occurred-at (a flag, then Unix nanoseconds), and the
// extra pairs in key order, so that every replica encodes the same event
// to the same bytes (the raft backend compares logs by digest).
func AppendMetadata(buf []byte, m *eventstore.Metadata) []byte {
	buf = AppendString(buf, m.CorrelationID)
	buf = AppendString(buf, m.CausationID)
	buf = AppendString(buf, m.Actor)
	buf = AppendString(buf, m.Locality)
	if m.OccurredAt.IsZero() {
		buf = append(buf, 0)
	} else {
		buf = append(buf, 1)
		buf = binary.AppendVarint(buf, m.OccurredAt.UnixNano())
	}
	buf = binary.AppendUvarint(buf, uint64(len(m.Extra)))
	for _, k := range slices.Sorted(maps.Keys(m.Extra)) {
		buf = AppendString(buf, k)
		buf = AppendString(buf, m.Extra[k])
	}
	return buf
}

// Reader reads what the Append functions wrote. The first malformed or
// short read sets Err (to the corrupt error it was made with); every read
// after returns a zero value, so a decoder checks Err once at its end.
type Reader struct {
	// B is what is left to read.
	B       []byte
	Err     error
	corrupt error
}

// NewReader reads b, failing with corrupt.
func NewReader(b []byte, corrupt error) *Reader { return &Reader{B: b, corrupt: corrupt} }

// Fail records that the input is malformed.
func (r *Reader) Fail() {
	if r.Err == nil {
		r.Err = r.corrupt
	}
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if r.Err != nil || len(r.B) == 0 {
		r.Fail()
		return 0
	}
	v := r.B[0]
	r.B = r.B[1:]
	return v
}

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	if r.Err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.B)
	if n <= 0 {
		r.Fail()
		return 0
	}
	r.B = r.B[n:]
	return v
}

// Varint reads a signed varint.
func (r *Reader) Varint() int64 {
	if r.Err != nil {
		return 0
	}
	v, n := binary.Varint(r.B)
	if n <= 0 {
		r.Fail()
		return 0
	}
	r.B = r.B[n:]
	return v
}

// Bytes reads the next n bytes, without copying: the caller copies what it
// keeps when the input's buffer is not its own.
func (r *Reader) Bytes(n uint64) []byte {
	if r.Err != nil || uint64(len(r.B)) < n {
		r.Fail()
		return nil
	}
	v := r.B[:n:n]
	r.B = r.B[n:]
	return v
}

// String reads a string written by AppendString.
func (r *Reader) String() string { return string(r.Bytes(r.Uvarint())) }

// Metadata reads what AppendMetadata wrote into m.
func (r *Reader) Metadata(m *eventstore.Metadata) {
	m.CorrelationID = r.String()
	m.CausationID = r.String()
	m.Actor = r.String()
	m.Locality = r.String()
	if r.Byte() == 1 {
		m.OccurredAt = time.Unix(0, r.Varint()).UTC()
	}
	n := r.Uvarint()
	if r.Err != nil || n > uint64(len(r.B)) {
		r.Fail()
		return
	}
	if n > 0 {
		m.Extra = make(map[string]string, n)
		for range n {
			k := r.String()
			m.Extra[k] = r.String()
		}
	}
}
