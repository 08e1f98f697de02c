package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"
)

// noBackup is a TopicBackupIter over n partitions with nothing buffered; partitioners that
// hash keys never read it.
type noBackup struct{ next, n int }

func (b *noBackup) Next() (int, int64) { b.next++; return b.next - 1, 0 }
func (b *noBackup) Rem() int           { return b.n - b.next }

// defaultPartitioner is the partitioner a kgo client uses when none is configured, taken from
// a client that never connects (kgo dials only when a request needs a broker).
func defaultPartitioner() (kgo.Partitioner, error) {
	cl, err := kgo.NewClient()
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	p, ok := cl.OptValue(kgo.RecordPartitioner).(kgo.Partitioner)
	if !ok {
		return nil, fmt.Errorf("kgo reports no default partitioner")
	}
	return p, nil
}

func runPartition(args []string) error {
	fs := newFlagSet("partition", nil)
	partitions := fs.Int("partitions", 0, "number of partitions")
	keys := fs.Int("keys", 0, "number of keys key-0 … key-(N-1)")
	if err := parseFlags(fs, args, nil); err != nil {
		return err
	}
	if err := positive("partitions", int64(*partitions)); err != nil {
		return err
	}
	if *keys < 0 {
		return usagef("--keys must not be negative")
	}
	p, err := defaultPartitioner()
	if err != nil {
		return err
	}
	tp := p.ForTopic("ottla-go-peer-partition")
	out := bufio.NewWriter(os.Stdout)
	for i := range *keys {
		r := &kgo.Record{Key: []byte("key-" + strconv.Itoa(i))}
		var part int
		if bp, ok := tp.(kgo.TopicBackupPartitioner); ok {
			part = bp.PartitionByBackup(r, *partitions, &noBackup{n: *partitions})
		} else {
			part = tp.Partition(r, *partitions)
		}
		fmt.Fprintln(out, part)
	}
	return out.Flush()
}
