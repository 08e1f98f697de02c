package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// topicPartitions asks the cluster for topic's partition ids, waiting (until ctx ends) while
// the topic is unknown or has no leaders yet. It does not create the topic.
func topicPartitions(ctx context.Context, cl *kgo.Client, topic string) ([]int32, error) {
	var last error
	for {
		req := kmsg.NewPtrMetadataRequest()
		t := kmsg.NewMetadataRequestTopic()
		t.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, t)
		resp, err := req.RequestWith(ctx, cl)
		switch {
		case err != nil:
			last = err
		case len(resp.Topics) != 1:
			last = fmt.Errorf("metadata for %s answered %d topics", topic, len(resp.Topics))
		default:
			last = topicReady(&resp.Topics[0])
			if last == nil {
				ids := make([]int32, 0, len(resp.Topics[0].Partitions))
				for _, p := range resp.Topics[0].Partitions {
					ids = append(ids, p.Partition)
				}
				sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
				return ids, nil
			}
			if !kerr.IsRetriable(last) {
				return nil, fmt.Errorf("metadata for %s: %w", topic, last)
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("metadata for %s: %w (last: %v)", topic, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// topicReady is nil when t exists and every partition has a leader.
func topicReady(t *kmsg.MetadataResponseTopic) error {
	if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
		return err
	}
	if len(t.Partitions) == 0 {
		return kerr.UnknownTopicOrPartition
	}
	for _, p := range t.Partitions {
		if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
			return err
		}
		if p.Leader < 0 {
			return kerr.LeaderNotAvailable
		}
	}
	return nil
}

// allFromStart is the consume assignment of every partition in ids from the earliest offset.
func allFromStart(topic string, ids []int32) kgo.Opt {
	offsets := make(map[int32]kgo.Offset, len(ids))
	for _, p := range ids {
		offsets[p] = kgo.NewOffset().AtStart()
	}
	return kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets})
}

// assignAll looks up the partitions of b.topic (waiting until ctx ends for it to appear) and
// returns a client consuming all of them from the earliest offset, with extra options.
func (b *brokerFlags) assignAll(ctx context.Context, extra ...kgo.Opt) (*kgo.Client, error) {
	meta, err := b.newClient()
	if err != nil {
		return nil, err
	}
	ids, err := topicPartitions(ctx, meta, b.topic)
	meta.Close()
	if err != nil {
		return nil, err
	}
	return b.newClient(append([]kgo.Opt{allFromStart(b.topic, ids)}, extra...)...)
}

func runCreateTopic(args []string) error {
	var b brokerFlags
	fs := newFlagSet("create-topic", &b)
	partitions := fs.Int("partitions", 0, "number of partitions")
	if err := parseFlags(fs, args, &b); err != nil {
		return err
	}
	if err := positive("partitions", int64(*partitions)); err != nil {
		return err
	}
	cl, err := b.newClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 30000
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic = b.topic
	t.NumPartitions = int32(*partitions)
	t.ReplicationFactor = -1 // the broker's default.replication.factor
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("create %s: %w", b.topic, err)
	}
	if len(resp.Topics) != 1 {
		return fmt.Errorf("create %s: answered %d topics", b.topic, len(resp.Topics))
	}
	if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
		msg := ""
		if m := resp.Topics[0].ErrorMessage; m != nil {
			msg = ": " + *m
		}
		return fmt.Errorf("create %s: %w%s", b.topic, err, msg)
	}
	ids, err := topicPartitions(ctx, cl, b.topic)
	if err != nil {
		return err
	}
	if len(ids) != *partitions {
		return errors.New("created topic reports a different partition count")
	}
	return printJSON(struct {
		Topic      string `json:"topic"`
		Partitions int    `json:"partitions"`
	}{b.topic, len(ids)})
}
