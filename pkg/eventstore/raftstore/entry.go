package raftstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
)

// Raft log entries are numbered, append-only command types (as in Consul and
// Nomad): a retired number is never reused, and a node that meets a type it
// does not know stops rather than let replicas diverge.
const (
	// entryAppendBatch is a group of appends and deletes stamped with the
	// leader's clock.
	entryAppendBatch byte = 1
)

// Kinds of command inside a batch, and of expectation. Numbered for the
// same reason.
const (
	cmdAppend byte = 1
	cmdDelete byte = 2

	expectAny          byte = 0
	expectNoStream     byte = 1
	expectStreamExists byte = 2
	expectExact        byte = 3
)

// errUnknownEntry means the log holds an entry this build cannot apply.
var errUnknownEntry = errors.New("raftstore: unknown log entry type (a newer version wrote it?)")

var errCorruptEntry = errors.New("raftstore: corrupt log entry")

// encodeBatch lays out an append batch:
//
//	type(1) recordedAt(varint ns) count(uvarint) command...
//
// where each command is encoded by appendCommand. The leader stamps
// recordedAt once for the batch; followers never read their own clocks.
func encodeBatch(buf []byte, recordedAt time.Time, cmds []*embedded.Command) []byte {
	buf = append(buf, entryAppendBatch)
	buf = binary.AppendVarint(buf, recordedAt.UnixNano())
	buf = binary.AppendUvarint(buf, uint64(len(cmds)))
	for _, c := range cmds {
		buf = appendCommand(buf, c)
	}
	return buf
}

// decodeBatch is the inverse of encodeBatch. The commands share recordedAt.
func decodeBatch(b []byte) (time.Time, []*embedded.Command, error) {
	if len(b) == 0 {
		return time.Time{}, nil, errCorruptEntry
	}
	if b[0] != entryAppendBatch {
		return time.Time{}, nil, fmt.Errorf("%w: %d", errUnknownEntry, b[0])
	}
	r := &reader{b: b[1:]}
	at := time.Unix(0, r.varint()).UTC()
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		return time.Time{}, nil, errCorruptEntry
	}
	cmds := make([]*embedded.Command, 0, n)
	for i := uint64(0); i < n; i++ {
		c := r.command()
		if r.err != nil {
			return time.Time{}, nil, r.err
		}
		cmds = append(cmds, c)
	}
	if len(r.b) != 0 {
		return time.Time{}, nil, errCorruptEntry
	}
	return at, cmds, nil
}

// appendCommand encodes one command: kind, stream, expectation, events. It
// is also the body of a forwarded write.
func appendCommand(buf []byte, c *embedded.Command) []byte {
	if c.Delete {
		buf = append(buf, cmdDelete)
	} else {
		buf = append(buf, cmdAppend)
	}
	buf = appendString(buf, c.Stream)
	buf = appendExpected(buf, c.Expected)
	buf = binary.AppendUvarint(buf, uint64(len(c.Events)))
	for i := range c.Events {
		buf = appendEvent(buf, &c.Events[i])
	}
	return buf
}

func decodeCommand(b []byte) (*embedded.Command, error) {
	r := &reader{b: b}
	c := r.command()
	if r.err == nil && len(r.b) != 0 {
		r.err = errCorruptEntry
	}
	return c, r.err
}

func appendExpected(buf []byte, e eventstore.ExpectedRevision) []byte {
	switch rev, exact := e.Revision(); {
	case exact:
		return binary.AppendUvarint(append(buf, expectExact), rev)
	case e.IsNoStream():
		return append(buf, expectNoStream)
	case e.IsStreamExists():
		return append(buf, expectStreamExists)
	default:
		return append(buf, expectAny)
	}
}

func appendEvent(buf []byte, ev *eventstore.EventData) []byte {
	buf = append(buf, ev.ID[:]...)
	buf = appendString(buf, ev.Type)
	buf = binary.AppendUvarint(buf, uint64(len(ev.Data)))
	buf = append(buf, ev.Data...)
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
	// In key order, so that an entry's bytes do not depend on map order.
	buf = binary.AppendUvarint(buf, uint64(len(m.Extra)))
	for _, k := range slices.Sorted(maps.Keys(m.Extra)) {
		buf = appendString(buf, k)
		buf = appendString(buf, m.Extra[k])
	}
	return buf
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errCorruptEntry
	}
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.fail()
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
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
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bytes returns the next n bytes, copied: the input is a raft log buffer
// that the log store may reuse.
func (r *reader) bytes(n uint64) []byte {
	if r.err != nil || uint64(len(r.b)) < n {
		r.fail()
		return nil
	}
	v := make([]byte, n)
	copy(v, r.b)
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil || uint64(len(r.b)) < n {
		r.fail()
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) command() *embedded.Command {
	c := &embedded.Command{}
	switch r.byte() {
	case cmdAppend:
	case cmdDelete:
		c.Delete = true
	default:
		r.fail()
		return nil
	}
	c.Stream = r.string()
	c.Expected = r.expected()
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	if n > 0 {
		c.Events = make([]eventstore.EventData, n)
	}
	for i := range c.Events {
		r.event(&c.Events[i])
	}
	return c
}

func (r *reader) expected() eventstore.ExpectedRevision {
	switch r.byte() {
	case expectAny:
		return eventstore.Any
	case expectNoStream:
		return eventstore.NoStream
	case expectStreamExists:
		return eventstore.StreamExists
	case expectExact:
		return eventstore.Exact(r.uvarint())
	}
	r.fail()
	return eventstore.Any
}

func (r *reader) event(ev *eventstore.EventData) {
	if r.err != nil || len(r.b) < 16 {
		r.fail()
		return
	}
	copy(ev.ID[:], r.b[:16])
	r.b = r.b[16:]
	ev.Type = r.string()
	if n := r.uvarint(); n > 0 {
		ev.Data = r.bytes(n)
	}
	m := &ev.Metadata
	m.CorrelationID = r.string()
	m.CausationID = r.string()
	m.Actor = r.string()
	m.Locality = r.string()
	if r.byte() == 1 {
		m.OccurredAt = time.Unix(0, r.varint()).UTC()
	}
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.fail()
		return
	}
	if n > 0 {
		m.Extra = make(map[string]string, n)
		for i := uint64(0); i < n; i++ {
			k := r.string()
			m.Extra[k] = r.string()
		}
	}
}
