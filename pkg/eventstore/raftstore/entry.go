package raftstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/embedded"
	"carecoord/pkg/eventstore/eventcodec"
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
	r := eventcodec.NewReader(b[1:], errCorruptEntry)
	at := time.Unix(0, r.Varint()).UTC()
	n := r.Uvarint()
	if r.Err != nil || n > uint64(len(r.B)) {
		return time.Time{}, nil, errCorruptEntry
	}
	cmds := make([]*embedded.Command, 0, n)
	for i := uint64(0); i < n; i++ {
		c := readCommand(r)
		if r.Err != nil {
			return time.Time{}, nil, r.Err
		}
		cmds = append(cmds, c)
	}
	if len(r.B) != 0 {
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
	buf = eventcodec.AppendString(buf, c.Stream)
	buf = appendExpected(buf, c.Expected)
	buf = binary.AppendUvarint(buf, uint64(len(c.Events)))
	for i := range c.Events {
		buf = appendEvent(buf, &c.Events[i])
	}
	return buf
}

func decodeCommand(b []byte) (*embedded.Command, error) {
	r := eventcodec.NewReader(b, errCorruptEntry)
	c := readCommand(r)
	if r.Err == nil && len(r.B) != 0 {
		r.Fail()
	}
	return c, r.Err
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
	buf = eventcodec.AppendString(buf, ev.Type)
	buf = binary.AppendUvarint(buf, uint64(len(ev.Data)))
	buf = append(buf, ev.Data...)
	return eventcodec.AppendMetadata(buf, &ev.Metadata)
}

// readCommand reads what appendCommand wrote; the events' data is copied,
// since the input is a raft log buffer the log store may reuse.
func readCommand(r *eventcodec.Reader) *embedded.Command {
	c := &embedded.Command{}
	switch r.Byte() {
	case cmdAppend:
	case cmdDelete:
		c.Delete = true
	default:
		r.Fail()
		return nil
	}
	c.Stream = r.String()
	c.Expected = readExpected(r)
	n := r.Uvarint()
	if r.Err != nil || n > uint64(len(r.B)) {
		r.Fail()
		return nil
	}
	if n > 0 {
		c.Events = make([]eventstore.EventData, n)
	}
	for i := range c.Events {
		readEvent(r, &c.Events[i])
	}
	return c
}

func readExpected(r *eventcodec.Reader) eventstore.ExpectedRevision {
	switch r.Byte() {
	case expectAny:
		return eventstore.Any
	case expectNoStream:
		return eventstore.NoStream
	case expectStreamExists:
		return eventstore.StreamExists
	case expectExact:
		return eventstore.Exact(r.Uvarint())
	}
	r.Fail()
	return eventstore.Any
}

func readEvent(r *eventcodec.Reader, ev *eventstore.EventData) {
	if r.Err != nil || len(r.B) < 16 {
		r.Fail()
		return
	}
	copy(ev.ID[:], r.B[:16])
	r.B = r.B[16:]
	ev.Type = r.String()
	if n := r.Uvarint(); n > 0 {
		ev.Data = append([]byte(nil), r.Bytes(n)...)
	}
	r.Metadata(&ev.Metadata)
}
