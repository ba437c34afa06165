package raftstore

// Crash stops the node as a crash would, for benchmarks and failover tests
// that run a cluster in one process: its network goes first, so the other
// nodes hear nothing more from it (no leadership is handed over, no entry
// in flight is answered), and then it closes.
func (s *Store) Crash() error {
	s.mux.close()
	return s.Close()
}
