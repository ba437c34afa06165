// Package kurrentdb is the KurrentDB (EventStoreDB) backend of carecoord's
// event store contract ([eventstore.Store]), for the scale-out topology where
// the store is a KurrentDB cluster shared by services running as separate
// processes.
//
// # One package for the client
//
// It talks to the server through github.com/EventStore/EventStore-Client-Go/v4
// (v4.1.0, package esdb). That client was archived in June 2025 and continues
// as github.com/kurrent-io/KurrentDB-Client-Go with the same API shape. Every
// use of it is inside this package, and nothing of it appears in this
// package's exported API, so moving to the successor is a change to this one
// package. Keep it that way: no other carecoord package may import esdb.
//
// # Positions
//
// The server places an event by its byte offset in the transaction log.
// Every append goes through the gRPC API as one implicit transaction whose
// events are each written as a self-committed record, so an event's commit and
// prepare positions are both its own record's offset, distinct for every
// event and increasing in commit order, and an append reports the offset of
// its last event (the server's StorageWriterService, StorageChaser and
// AllReader work this way; the archived TCP-only explicit transactions, never
// used here, are the exception). A carecoord [eventstore.Position]
// is that offset multiplied by 256. The low eight bits of an event's position
// are therefore zero; a position with non-zero low bits means "just after the
// event at the position with those bits cleared". That keeps the usual idiom
// of reading on from lastPosition+1 correct although positions are not dense,
// and every position this package hands out (event positions, append results,
// checkpoints) is one the server accepts back. Offsets up to 2^56 (64 PiB of
// log) are representable. Positions a caller makes up may not land on a
// record boundary; the server rejects those with an invalid-position error.
//
// Reading $all backwards from a position excludes the event at it (the server
// compares record end offsets), so [Store.ReadAll] fetches that event with a
// one-event forward read first to keep the contract's inclusive start.
//
// # The client's traps, and what this package does about them
//
//   - AppendToStreamOptions.ExpectedRevision and
//     TombstoneStreamOptions.ExpectedRevision default to esdb.Any{} when left
//     nil; the expectation is always mapped and set explicitly (toExpected
//     never returns nil).
//   - SubscribeToAllOptions.From defaults to esdb.End{}, which silently skips
//     history; From is always set (esdb.Start{} or an explicit position).
//   - esdb.FromError returns ok=true only for a nil error, and for any error
//     that is not itself an *esdb.Error (the client wraps most of its errors
//     with fmt.Errorf) it returns a new error with ErrorCodeUnknown. This
//     package never calls it; it uses errors.As to find the *esdb.Error and the
//     gRPC status behind it.
//   - A wrong-expected-version append carries the actual revision only in the
//     error text ("... but got '5'" or "'no_stream'"); it is parsed from there.
//     A conflicting tombstone is not classified by the client at all: it is a
//     FailedPrecondition gRPC status whose message names WrongExpectedVersion
//     and the actual version; that is recognised too. When an append conflicts,
//     the events at the place it targeted are read back, so that an append
//     whose IDs were partly written there already is reported as
//     [eventstore.ErrIdempotencyMismatch] (the server reports that case as a
//     plain wrong-expected-version).
//   - Once endpoint discovery fails (a server restart is enough), the client
//     closes itself for good and every later call fails with "connection is
//     closed". Discovery runs inside the client's connection loop and ignores
//     contexts; a call that hands the loop a request meanwhile waits, and
//     waits forever if discovery then fails; closing the client under such a
//     call makes it panic. So this package owns a replaceable client: after
//     any sign of connection trouble (unavailable, not leader, closed,
//     discovery failed) it retires the client and builds a fresh one; until
//     a fresh client has completed one call, callers use it one at a time
//     (waiting honours their context), so discovery never has callers queued
//     behind it; every call runs in a goroutine of its own, so that its
//     caller leaves when its context ends (or with ErrClosed when the store
//     is closed) even if the client is stuck; and a retired client is closed
//     only once no call is inside it. Calls that cannot have reached the
//     server (not leader, client closed) are retried on the fresh client;
//     reads are also retried after unavailable.
//   - The client logs every failure to standard output by default; its log is
//     routed to the package's slog logger at debug level, since everything that
//     matters comes back as an error or is logged by this package.
//   - ReadStream.Recv panics on a response type it does not know; reads recover
//     that into an error instead of taking the process down.
//
// # System streams and events
//
// KurrentDB keeps its own records in $all: stream metadata in "$$" streams,
// tombstones ($streamDeleted), statistics, scavenge and user records, all with
// event types starting with "$". carecoord's own system streams
// ([eventstore.SystemStreamPrefix], e.g. parked events) start with "$" as well
// but carry carecoord event types ("<service>.<EventName>.v<N>"). So an event
// is the server's, and [Store.ReadAll] and subscriptions skip it, when its
// type starts with "$", or its stream starts with "$$" or with one of the
// server's stream prefixes listed in serverStreamPrefixes. [Store.ReadStream]
// reads any stream, so "$parked-..." streams are readable as usual.
//
// # Subscriptions
//
// [Store.Subscribe] runs a server-side filtered subscription to $all (event
// types as an anchored regular expression, or stream prefixes; when a filter
// has both, the types go to the server and the prefixes are applied here;
// everything is checked again here with [eventstore.Filter.Matches]). The
// server reads history and goes live by itself, so history is not shipped to
// the client just to be filtered out. CaughtUp is the server's caught-up
// message (KurrentDB and recent EventStoreDB send it), or, for servers that
// do not, the moment the subscription has reached the position that was the
// head of the log when it started. Server checkpoints are byte offsets that
// need not be event positions; each is turned into the position of the last
// event at or before it (a one-event backward read) before it is passed on, so
// that a consumer can resume from it. When the subscription drops it is
// resumed from the last position delivered, with backoff, and anything at or
// before that position is dropped, so there are no duplicates or gaps.
//
// # Idempotency and consistency
//
// Event IDs are passed through as the server's event IDs, so its idempotency
// applies: guaranteed for Exact and NoStream expectations, best effort for Any
// and StreamExists (the server's rule). Read-your-writes holds when the
// connection string keeps the default node preference (leader).
//
// # Security
//
// Reading $all and writing carecoord's "$" streams need the $admins role
// unless the server's default ACLs say otherwise; in production the connection
// string's user must have it. Insecure mode (the local cluster in
// deploy/kurrentdb) has no authentication or ACLs.
package kurrentdb
