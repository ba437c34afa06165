package kurrentdb

import (
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// fakeServer is an in-process model of the part of KurrentDB's gRPC Streams
// service this package uses, written from the server's source: records at
// byte offsets in one log (every event self-committed, commit = prepare =
// its offset), $all reads forwards inclusive of their start and backwards
// exclusive of it (record end offsets are compared), invalid positions
// refused, filtered $all subscriptions that start after their position,
// checkpoint at page boundaries (post-positions, prepare 0), announce
// CaughtUp and go live, the write path's idempotency check, and errors
// carried as statuses with trailers. It lets the conformance suite exercise
// this package's use of the client without a server. It is a model: the
// suite must still be run against KurrentDB (see deploy/kurrentdb).
type fakeServer struct {
	api.UnimplementedStreamsServer

	mu          sync.Mutex
	log         []*fakeRecord
	byOff       map[uint64]int // record offset -> index in log
	end         uint64         // offset after the last record
	streams     map[string]*fakeStream
	appended    chan struct{} // closed and replaced after every write
	drop        chan struct{} // closed and replaced to drop live subscriptions
	caughtUpOff bool          // do not send CaughtUp (servers before it existed)

	subscriptions atomic.Int64 // subscriptions started
}

type fakeRecord struct {
	off, post  uint64
	stream     string
	rev        uint64
	id         uuid.UUID
	typ        string
	data, meta []byte
	created    time.Time
}

type fakeStream struct {
	events  []*fakeRecord
	deleted bool
}

func newFakeServer() *fakeServer {
	f := &fakeServer{
		byOff:    map[uint64]int{},
		end:      1000, // the log starts with an epoch record the reader skips
		streams:  map[string]*fakeStream{},
		appended: make(chan struct{}),
		drop:     make(chan struct{}),
	}
	f.mu.Lock()
	f.writeLocked("$stats-127.0.0.1:2113", "$statsCollected", nil, nil)
	f.writeLocked("$$$settings", "$metadata", nil, nil)
	f.mu.Unlock()
	return f
}

// serve runs the fake on addr ("127.0.0.1:0" for any port) and returns the
// address and a function that stops it.
func (f *fakeServer) serve(t *testing.T, addr string) (string, func()) {
	t.Helper()
	var l net.Listener
	var err error
	for range 50 { // the port of a stopped server may take a moment to free
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(
		grpc.MaxRecvMsgSize(32<<20),
		// The client pings every 10s even without calls, as KurrentDB allows.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Second, PermitWithoutStream: true}),
	)
	api.RegisterStreamsServer(gs, f)
	go func() { _ = gs.Serve(l) }()
	var once sync.Once
	stop := func() { once.Do(gs.Stop) }
	t.Cleanup(stop)
	return l.Addr().String(), stop
}

// writeLocked appends one record to the log.
func (f *fakeServer) writeLocked(stream, typ string, data, meta []byte) *fakeRecord {
	s := f.streams[stream]
	if s == nil {
		s = &fakeStream{}
		f.streams[stream] = s
	}
	r := &fakeRecord{off: f.end, stream: stream, rev: uint64(len(s.events)), id: uuid.New(), typ: typ, data: data, meta: meta, created: time.Now()}
	// Record sizes vary and are not multiples of 256, like the real log's.
	r.post = r.off + 57 + uint64(len(stream)+len(typ)+len(data)+len(meta))
	f.end = r.post
	f.byOff[r.off] = len(f.log)
	f.log = append(f.log, r)
	s.events = append(s.events, r)
	return r
}

func (f *fakeServer) notifyLocked() {
	close(f.appended)
	f.appended = make(chan struct{})
}

// writeSystemEvent writes a record of the server's own, as statistics do.
func (f *fakeServer) writeSystemEvent() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writeLocked("$stats-127.0.0.1:2113", "$statsCollected", []byte(`{}`), nil)
	f.notifyLocked()
}

// dropSubscriptions ends every live subscription with Unavailable.
func (f *fakeServer) dropSubscriptions() {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.drop)
	f.drop = make(chan struct{})
}

// expected versions as the server encodes them.
const (
	expAny          int64 = -2
	expNoStream     int64 = -1
	expStreamExists int64 = -4
)

func (f *fakeServer) Append(srv api.Streams_AppendServer) error {
	req, err := srv.Recv()
	if err != nil {
		return err
	}
	opts := req.GetOptions()
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	var exp int64
	switch v := opts.ExpectedStreamRevision.(type) {
	case *api.AppendReq_Options_Revision:
		exp = int64(v.Revision)
	case *api.AppendReq_Options_NoStream:
		exp = expNoStream
	case *api.AppendReq_Options_StreamExists:
		exp = expStreamExists
	case *api.AppendReq_Options_Any:
		exp = expAny
	default:
		return status.Error(codes.InvalidArgument, "no expected revision")
	}
	var msgs []*api.AppendReq_ProposedMessage
	for {
		req, err := srv.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		msgs = append(msgs, req.GetProposedMessage())
	}
	ids := make([]uuid.UUID, len(msgs))
	for i, m := range msgs {
		s := m.GetId().GetStructured()
		id, err := esdb.ParseUUIDFromInt64(s.GetMostSignificantBits(), s.GetLeastSignificantBits())
		if err != nil {
			return status.Error(codes.InvalidArgument, "bad id")
		}
		ids[i] = id
		if m.GetMetadata()["type"] == "" || m.GetMetadata()["content-type"] == "" {
			return status.Error(codes.InvalidArgument, "Required Metadata Property 'type' is missing")
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.streams[stream]
	if s != nil && s.deleted {
		return streamDeleted(srv.SetTrailer, stream)
	}
	cur := int64(-1)
	if s != nil {
		cur = int64(len(s.events)) - 1
	}
	wrong := func() error {
		w := &api.AppendResp_WrongExpectedVersion{}
		if cur < 0 {
			w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		} else {
			w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(cur)}
		}
		return srv.SendAndClose(&api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}})
	}
	success := func(last *fakeRecord) error {
		return srv.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
			CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: last.rev},
			PositionOption:        &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{CommitPosition: last.off, PreparePosition: last.off}},
		}}})
	}
	// idempotent reports whether ids are already the events from revision
	// first on (all: repeat; first only: corrupted idempotency).
	idempotent := func(first int64) (all, some bool) {
		if s == nil || first < 0 || first > cur {
			return false, false
		}
		n := 0
		for i, id := range ids {
			at := first + int64(i)
			if at > cur || s.events[at].id != id {
				break
			}
			n++
		}
		return n == len(ids), n > 0
	}
	switch {
	case exp == expAny || exp == expStreamExists:
		if exp == expStreamExists && cur < 0 {
			return wrong()
		}
		if s != nil && len(ids) > 0 {
			for i, e := range s.events {
				if e.id == ids[0] {
					if all, _ := idempotent(int64(i)); all {
						return success(s.events[i+len(ids)-1])
					}
					return wrong()
				}
			}
		}
	case exp == cur:
	case exp < cur:
		all, some := idempotent(exp + 1)
		if all {
			return success(s.events[exp+int64(len(ids))])
		}
		_ = some // corrupted idempotency is a plain conflict
		return wrong()
	default:
		return wrong()
	}
	var last *fakeRecord
	for i, m := range msgs {
		last = f.writeLocked(stream, m.GetMetadata()["type"], m.GetData(), m.GetCustomMetadata())
		last.id = ids[i]
	}
	f.notifyLocked()
	return success(last)
}

func streamDeleted(setTrailer func(metadata.MD), stream string) error {
	setTrailer(metadata.Pairs("exception", "stream-deleted", "stream-name", stream))
	return status.Errorf(codes.FailedPrecondition, "Event stream '%s' is deleted.", stream)
}

func (f *fakeServer) Tombstone(ctx context.Context, req *api.TombstoneReq) (*api.TombstoneResp, error) {
	opts := req.GetOptions()
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	setTrailer := func(md metadata.MD) { _ = grpc.SetTrailer(ctx, md) }
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.streams[stream]
	if s != nil && s.deleted {
		return nil, streamDeleted(setTrailer, stream)
	}
	cur := int64(-1)
	if s != nil {
		cur = int64(len(s.events)) - 1
	}
	var exp int64
	ok := true
	switch v := opts.ExpectedStreamRevision.(type) {
	case *api.TombstoneReq_Options_Revision:
		exp, ok = int64(v.Revision), cur == int64(v.Revision)
	case *api.TombstoneReq_Options_NoStream:
		exp, ok = expNoStream, cur < 0
	case *api.TombstoneReq_Options_StreamExists:
		exp, ok = expStreamExists, cur >= 0
	default:
		exp = expAny
	}
	if !ok {
		setTrailer(metadata.Pairs("exception", "wrong-expected-version", "stream-name", stream,
			"expected-version", strconv.FormatInt(exp, 10), "actual-version", strconv.FormatInt(cur, 10)))
		return nil, status.Errorf(codes.FailedPrecondition,
			"Delete failed due to WrongExpectedVersion. Stream: %s, Expected version: %d, Actual version: %d", stream, exp, cur)
	}
	r := f.writeLocked(stream, "$streamDeleted", nil, nil)
	f.streams[stream].deleted = true
	f.notifyLocked()
	return &api.TombstoneResp{PositionOption: &api.TombstoneResp_Position_{Position: &api.TombstoneResp_Position{CommitPosition: r.off, PreparePosition: r.off}}}, nil
}

func (f *fakeServer) Read(req *api.ReadReq, srv api.Streams_ReadServer) error {
	o := req.GetOptions()
	switch {
	case o.GetSubscription() != nil && o.GetAll() != nil && o.GetFilter() != nil:
		return f.subscribe(o, srv)
	case o.GetSubscription() != nil:
		return status.Error(codes.Unimplemented, "the fake serves filtered $all subscriptions only")
	case o.GetStream() != nil:
		return f.readStream(o, srv)
	default:
		return f.readAll(o, srv)
	}
}

func toReadEvent(r *fakeRecord) *api.ReadResp {
	most, least := esdb.UUIDAsInt64(r.id)
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{MostSignificantBits: most, LeastSignificantBits: least}}},
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.rev,
			PreparePosition:  r.off,
			CommitPosition:   r.off,
			Metadata: map[string]string{
				"type":         r.typ,
				"content-type": "application/json",
				"created":      strconv.FormatInt(r.created.UnixNano()/100, 10),
			},
			CustomMetadata: r.meta,
			Data:           r.data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.off},
	}}}
}

func (f *fakeServer) readStream(o *api.ReadReq_Options, srv api.Streams_ReadServer) error {
	so := o.GetStream()
	name := so.GetStreamIdentifier().GetStreamName()
	f.mu.Lock()
	s := f.streams[string(name)]
	var events []*fakeRecord
	deleted := s != nil && s.deleted
	if s != nil {
		events = s.events
	}
	f.mu.Unlock()
	if deleted {
		return streamDeleted(srv.SetTrailer, string(name))
	}
	if len(events) == 0 {
		return srv.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{StreamIdentifier: &shared.StreamIdentifier{StreamName: name}}}})
	}
	count := o.GetCount()
	var out []*fakeRecord
	if o.GetReadDirection() == api.ReadReq_Options_Forwards {
		from := uint64(0)
		switch v := so.RevisionOption.(type) {
		case *api.ReadReq_Options_StreamOptions_Revision:
			from = v.Revision
		case *api.ReadReq_Options_StreamOptions_End:
			from = uint64(len(events))
		}
		for i := from; i < uint64(len(events)) && uint64(len(out)) < count; i++ {
			out = append(out, events[i])
		}
	} else {
		from := int64(len(events)) - 1
		if v, ok := so.RevisionOption.(*api.ReadReq_Options_StreamOptions_Revision); ok && int64(v.Revision) < from {
			from = int64(v.Revision)
		}
		if _, ok := so.RevisionOption.(*api.ReadReq_Options_StreamOptions_Start); ok {
			from = 0
		}
		for i := from; i >= 0 && uint64(len(out)) < count; i-- {
			out = append(out, events[i])
		}
	}
	for _, r := range out {
		if err := srv.Send(toReadEvent(r)); err != nil {
			return err
		}
	}
	return nil
}

type tfPos struct{ commit, prepare uint64 }

func (a tfPos) less(b tfPos) bool {
	return a.commit < b.commit || (a.commit == b.commit && a.prepare < b.prepare)
}

var errInvalidPosition = status.Error(codes.InvalidArgument, "Trying to read from an invalid position.")

// validLocked reports whether off is where a record starts or the log ends.
func (f *fakeServer) validLocked(off uint64) bool {
	_, ok := f.byOff[off]
	return ok || off == f.end || off == 0
}

func (f *fakeServer) readAll(o *api.ReadReq_Options, srv api.Streams_ReadServer) error {
	ao := o.GetAll()
	count := o.GetCount()
	f.mu.Lock()
	var out []*fakeRecord
	if o.GetReadDirection() == api.ReadReq_Options_Forwards {
		var from tfPos
		switch {
		case ao.GetEnd() != nil:
			from = tfPos{f.end, f.end}
		case ao.GetPosition() != nil:
			from = tfPos{ao.GetPosition().GetCommitPosition(), ao.GetPosition().GetPreparePosition()}
			if !f.validLocked(from.commit) {
				f.mu.Unlock()
				return errInvalidPosition
			}
		}
		for _, r := range f.log {
			if uint64(len(out)) == count {
				break
			}
			if !(tfPos{r.off, r.off}).less(from) {
				out = append(out, r)
			}
		}
	} else {
		from := tfPos{f.end, f.end}
		if p := ao.GetPosition(); p != nil {
			from = tfPos{p.GetCommitPosition(), p.GetPreparePosition()}
			if !f.validLocked(from.commit) {
				f.mu.Unlock()
				return errInvalidPosition
			}
		}
		if ao.GetStart() != nil {
			from = tfPos{}
		}
		for i := len(f.log) - 1; i >= 0 && uint64(len(out)) < count; i-- {
			r := f.log[i]
			if !from.less(tfPos{r.post, r.post}) { // record end at or before from
				out = append(out, r)
			}
		}
	}
	f.mu.Unlock()
	for _, r := range out {
		if err := srv.Send(toReadEvent(r)); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeServer) subscribe(o *api.ReadReq_Options, srv api.Streams_ReadServer) error {
	fo := o.GetFilter()
	match, err := fakeMatcher(fo)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	window := uint64(fo.GetMax())
	if window == 0 {
		window = 32
	}
	interval := window * uint64(max(fo.GetCheckpointIntervalMultiplier(), 1))

	ao := o.GetAll()
	f.mu.Lock()
	drop := f.drop // a drop after this point ends this subscription
	f.subscriptions.Add(1)
	after := tfPos{}
	haveAfter := false
	switch {
	case ao.GetEnd() != nil:
		after, haveAfter = tfPos{f.end, f.end}, true
	case ao.GetPosition() != nil:
		after, haveAfter = tfPos{ao.GetPosition().GetCommitPosition(), ao.GetPosition().GetPreparePosition()}, true
		if !f.validLocked(after.commit) {
			f.mu.Unlock()
			return errInvalidPosition
		}
	}
	f.mu.Unlock()

	if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{SubscriptionId: uuid.NewString()}}}); err != nil {
		return err
	}
	checkpoint := func(commit, prepare uint64) error {
		return srv.Send(&api.ReadResp{Content: &api.ReadResp_Checkpoint_{Checkpoint: &api.ReadResp_Checkpoint{CommitPosition: commit, PreparePosition: prepare}}})
	}
	next, considered := 0, uint64(0)
	var lastPost uint64
	caughtUp := false
	for {
		f.mu.Lock()
		records := f.log[next:]
		appended := f.appended
		f.mu.Unlock()
		for _, r := range records {
			next++
			if haveAfter && !after.less(tfPos{r.off, r.off}) {
				continue // the subscription starts after its position
			}
			considered++
			lastPost = r.post
			if match(r) {
				if err := srv.Send(toReadEvent(r)); err != nil {
					return err
				}
			}
			if considered%interval == 0 {
				// The reader's next position: the end of the record, prepare 0.
				if err := checkpoint(r.post, 0); err != nil {
					return err
				}
			}
		}
		if !caughtUp {
			caughtUp = true
			if lastPost != 0 {
				if err := checkpoint(lastPost, 0); err != nil {
					return err
				}
			}
			if !f.caughtUpOff {
				if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}); err != nil {
					return err
				}
			}
		}
		select {
		case <-appended:
		case <-drop:
			return status.Error(codes.Unavailable, "Server Is Not Ready")
		case <-srv.Context().Done():
			return srv.Context().Err()
		}
	}
}

// fakeMatcher is the server's filter for $all: a stream or event-type prefix
// list or regular expression (unanchored), applied to every record.
func fakeMatcher(fo *api.ReadReq_Options_FilterOptions) (func(*fakeRecord) bool, error) {
	expr, byType := fo.GetStreamIdentifier(), false
	if fo.GetEventType() != nil {
		expr, byType = fo.GetEventType(), true
	}
	if expr == nil {
		return nil, fmt.Errorf("no filter expression")
	}
	field := func(r *fakeRecord) string {
		if byType {
			return r.typ
		}
		return r.stream
	}
	if expr.GetRegex() != "" {
		re, err := regexp.Compile(expr.GetRegex())
		if err != nil {
			return nil, err
		}
		return func(r *fakeRecord) bool { return re.MatchString(field(r)) }, nil
	}
	prefixes := expr.GetPrefix()
	return func(r *fakeRecord) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(field(r), p) {
				return true
			}
		}
		return false
	}, nil
}
