package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"carecoord/pkg/eventstore/raftstore"
)

const clusterUsage = `Usage:
  carecoord cluster status [--addr ADDR] [--json]
  carecoord cluster join --node-id ID --node-addr ADDR [--non-voter] [--addr ADDR]
  carecoord cluster remove --node-id ID [--addr ADDR]
  carecoord cluster transfer-leadership [--to ID] [--addr ADDR]

--addr is the raft address of any member (default $CARECOORD_RAFT_ADDR);
the request reaches the leader through it.
`

// cluster runs an operator's command against a raft cluster of carecoord
// nodes, through the raft address of one member.
func cluster(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, clusterUsage)
		return 2
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("cluster "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr, _ := lookupEnv("CARECOORD_RAFT_ADDR")
	fs.StringVar(&addr, "addr", addr, "raft address of a member (CARECOORD_RAFT_ADDR)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the cluster")
	var (
		asJSON   *bool
		nodeID   *string
		nodeAddr *string
		nonVoter *bool
		to       *string
	)
	switch sub {
	case "status":
		asJSON = fs.Bool("json", false, "print the status as JSON")
	case "join":
		nodeID = fs.String("node-id", "", "the joining node's --node-id")
		nodeAddr = fs.String("node-addr", "", "the joining node's raft address")
		nonVoter = fs.Bool("non-voter", false, "join as a non-voter (or demote a voter)")
	case "remove":
		nodeID = fs.String("node-id", "", "the node to remove")
	case "transfer-leadership":
		to = fs.String("to", "", "the node to hand leadership to (default: the most up-to-date voter)")
	case "help", "-h", "--help":
		fmt.Fprint(stdout, clusterUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "carecoord cluster: unknown command %q\n\n%s", sub, clusterUsage)
		return 2
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || addr == "" || (nodeID != nil && *nodeID == "") || (nodeAddr != nil && *nodeAddr == "") {
		fmt.Fprintf(stderr, "carecoord cluster %s: --addr and the node flags are required\n\n%s", sub, clusterUsage)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var err error
	switch sub {
	case "status":
		err = printStatus(ctx, stdout, addr, *asJSON)
	case "join":
		err = raftstore.RequestJoin(ctx, addr, *nodeID, *nodeAddr, !*nonVoter)
	case "remove":
		err = raftstore.RequestRemove(ctx, addr, *nodeID)
	case "transfer-leadership":
		err = raftstore.RequestTransfer(ctx, addr, *to)
	}
	if err != nil {
		fmt.Fprintf(stderr, "carecoord cluster %s: %v\n", sub, err)
		return 1
	}
	if sub != "status" {
		fmt.Fprintln(stdout, "ok")
	}
	return 0
}

func printStatus(ctx context.Context, w io.Writer, addr string, asJSON bool) error {
	st, err := raftstore.QueryStatus(ctx, addr)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	fmt.Fprintf(w, "node %s (%s): %s, term %d, applied %d of %d committed\n", st.NodeID, st.Address, st.State, st.Term, st.AppliedIndex, st.CommitIndex)
	if st.LeaderID != "" {
		fmt.Fprintf(w, "leader: %s (%s)\n", st.LeaderID, st.LeaderAddress)
	} else {
		fmt.Fprintln(w, "leader: none known")
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tADDRESS\tSUFFRAGE\t")
	for _, s := range st.Servers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", s.ID, s.Address, s.Suffrage)
	}
	return tw.Flush()
}
