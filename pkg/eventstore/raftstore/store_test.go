package raftstore

import (
	"testing"

	"carecoord/pkg/eventstore"
	"carecoord/pkg/eventstore/storetest"
)

// The conformance suite runs against a FOLLOWER of a real 3-node cluster on
// loopback TCP, so that every write it makes is forwarded to the leader and
// every read it makes right after is read-your-writes on the follower.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T) eventstore.Store { return newCluster(t, 3).follower() },
		Reopen: func(t *testing.T, s eventstore.Store) eventstore.Store {
			c := clusterOf(s)
			c.closeAll()
			for i := range c.cfgs {
				c.restart(i)
			}
			return c.follower()
		},
		Short: true,
	})
}
