// Package storetest is the conformance suite of the eventstore contract. Every
// backend runs it from its own tests:
//
//	func TestConformance(t *testing.T) { storetest.Run(t, backend) }
//
// The suite never assumes the store is empty or that positions are contiguous,
// so it runs against a shared server: every test writes to streams under a
// prefix of its own and looks only at those.
package storetest

import (
	"testing"

	"carecoord/pkg/eventstore"
)

// Backend tells the suite how to get stores.
type Backend struct {
	// Open returns a store ready for use; the suite closes it.
	Open func(t *testing.T) eventstore.Store
	// Reopen closes s and opens the same store again (same data). Nil skips the
	// reopen tests (a remote server is not reopened by its clients).
	Reopen func(t *testing.T, s eventstore.Store) eventstore.Store
	// Short trims the largest workloads (100,000 streams) for slow backends.
	Short bool
}

// Run runs the whole conformance suite against a backend.
func Run(t *testing.T, b Backend) {
	tests := []struct {
		name string
		fn   func(*testing.T, Backend)
	}{
		{"AppendAndReadStream", testAppendAndReadStream},
		{"ExpectedRevision", testExpectedRevision},
		{"ConflictWritesNothing", testConflictWritesNothing},
		{"InvalidInputWritesNothing", testInvalidInputWritesNothing},
		{"ConcurrentAppendsOneWinnerPerRevision", testConcurrentAppendsOneStream},
		{"AtomicMultiEventAppend", testAtomicMultiEventAppend},
		{"IdempotentReappend", testIdempotentReappend},
		{"GlobalOrderIsCommitOrder", testGlobalOrderIsCommitOrder},
		{"ReadAllBackwards", testReadAllBackwards},
		{"ReadStreamNotFound", testReadStreamNotFound},
		{"DeleteStream", testDeleteStream},
		{"MetadataRoundTrip", testMetadataRoundTrip},
		{"LargeEvents", testLargeEvents},
		{"SubscribeCatchUpThenLive", testSubscribeCatchUpThenLive},
		{"SubscribeMidWriteUnderConcurrentWriters", testSubscribeMidWrite},
		{"SubscribeAfterPosition", testSubscribeAfterPosition},
		{"SubscribeFilters", testSubscribeFilters},
		{"ManyStreams", testManyStreams},
		{"Reopen", testReopen},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, b) })
	}
}
