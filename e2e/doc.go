// Package e2e tests carecoord from the outside: it builds the real carecoord
// binary once, runs it as separate processes on loopback with their own data
// directories, and talks to them over HTTP and GraphQL as clients do.
//
// Helpers: process_test.go starts, watches and stops processes;
// client_test.go speaks HTTP and GraphQL to them. The tests import nothing of
// carecoord: what they know of it is its command line and its API.
package e2e
