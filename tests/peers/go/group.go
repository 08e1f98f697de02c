package main

import (
	"bufio"
	"context"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// groupEvent is one output line of group-member.
type groupEvent struct {
	Event      string  `json:"event"`
	Partitions []int32 `json:"partitions,omitempty"`
}

// runGroupMember joins --group subscribing to --topic and prints one line per rebalance
// callback ({"event":"assigned"|"revoked"|"lost","partitions":[…]}) until stdin ends; then it
// leaves the group and prints {"event":"closed"}.
func runGroupMember(args []string) error {
	var b brokerFlags
	fs := newFlagSet("group-member", &b)
	group := fs.String("group", "", "consumer group")
	assignor := fs.String("assignor", "cooperative-sticky", "range, roundrobin or cooperative-sticky")
	if err := parseFlags(fs, args, &b); err != nil {
		return err
	}
	if *group == "" {
		return usagef("--group is required")
	}
	var balancer kgo.GroupBalancer
	switch *assignor {
	case "range":
		balancer = kgo.RangeBalancer()
	case "roundrobin":
		balancer = kgo.RoundRobinBalancer()
	case "cooperative-sticky":
		balancer = kgo.CooperativeStickyBalancer()
	default:
		return usagef("--assignor wants range, roundrobin or cooperative-sticky, got %q", *assignor)
	}
	var mu sync.Mutex
	report := func(event string, m map[string][]int32) {
		mu.Lock()
		defer mu.Unlock()
		parts := append([]int32(nil), m[b.topic]...)
		sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
		if len(parts) > 0 || event == "assigned" {
			_ = printJSON(groupEvent{Event: event, Partitions: parts})
		}
	}
	cl, err := b.newClient(
		kgo.ConsumerGroup(*group),
		kgo.ConsumeTopics(b.topic),
		kgo.Balancers(balancer),
		kgo.HeartbeatInterval(300*time.Millisecond),
		kgo.SessionTimeout(10*time.Second),
		kgo.DisableAutoCommit(),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { report("assigned", m) }),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { report("revoked", m) }),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { report("lost", m) }),
	)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
		}
		cancel()
	}()
	for ctx.Err() == nil {
		cl.PollFetches(ctx)
	}
	cl.Close() // leaves the group (revoking what it owns first)
	return printJSON(groupEvent{Event: "closed"})
}
