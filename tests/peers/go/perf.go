package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// perfConsumeTimeout bounds perf-consume, which has no --timeout-ms.
const perfConsumeTimeout = 5 * time.Minute

// payload is size printable bytes ('!'..'~') from xorshift64*, the same as ottla's
// crates/ottla-cli/src/commands/perf/payload.rs.
func payload(size int) []byte {
	s := uint64(0x9E3779B97F4A7C15)
	out := make([]byte, size)
	for i := range out {
		s ^= s >> 12
		s ^= s << 25
		s ^= s >> 27
		r := (s * 0x2545F4914F6CDD1D) >> 32
		out[i] = byte('!' + r%94)
	}
	return out
}

func acksOpt(s string) (kgo.Acks, error) {
	switch s {
	case "all", "-1":
		return kgo.AllISRAcks(), nil
	case "1":
		return kgo.LeaderAck(), nil
	case "0":
		return kgo.NoAck(), nil
	}
	return kgo.AllISRAcks(), usagef("--acks wants all, -1, 1 or 0, got %q", s)
}

func runPerfProduce(args []string) error {
	var b brokerFlags
	fs := newFlagSet("perf-produce", &b)
	records := fs.Int64("records", 0, "records to produce")
	size := fs.Int("record-size", 0, "value size in bytes")
	compression := fs.String("compression", "", "none|gzip|snappy|lz4|zstd")
	acks := fs.String("acks", "", "all|1|0")
	linger := fs.Int64("linger-ms", -1, "producer linger in ms")
	idempotence := fs.String("idempotence", "", "true|false")
	fs.Int("partitions-hint", 0, "partitions of the topic (kgo learns them from metadata)")
	if err := parseFlags(fs, args, &b); err != nil {
		return err
	}
	if err := positive("records", *records); err != nil {
		return err
	}
	if err := positive("record-size", int64(*size)); err != nil {
		return err
	}
	if *linger < 0 {
		return usagef("--linger-ms is required")
	}
	codec, err := codecOpt(*compression)
	if err != nil {
		return err
	}
	ack, err := acksOpt(*acks)
	if err != nil {
		return err
	}
	idem, err := parseBool("idempotence", *idempotence)
	if err != nil {
		return err
	}
	if idem && ack != kgo.AllISRAcks() {
		return usagef("--idempotence true needs --acks all")
	}
	opts := []kgo.Opt{
		kgo.DefaultProduceTopic(b.topic),
		kgo.AllowAutoTopicCreation(),
		codec,
		kgo.RequiredAcks(ack),
		kgo.ProducerLinger(time.Duration(*linger) * time.Millisecond),
	}
	if !idem {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	cl, err := b.newClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()

	value := payload(*size)
	var delivered atomic.Int64
	var firstErr error
	var errOnce sync.Once
	promise := func(_ *kgo.Record, err error) {
		if err == nil {
			delivered.Add(1)
		} else {
			errOnce.Do(func() { firstErr = err })
		}
	}
	ctx := context.Background()
	started := time.Now()
	for range *records {
		cl.Produce(ctx, &kgo.Record{Value: value}, promise)
	}
	if err := cl.Flush(ctx); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	elapsed := time.Since(started).Seconds()
	d := delivered.Load()
	if err := printJSON(struct {
		Records   int64   `json:"records"`
		Delivered int64   `json:"delivered"`
		ProduceS  float64 `json:"produce_s"`
	}{*records, d, elapsed}); err != nil {
		return err
	}
	if d != *records {
		return fmt.Errorf("%d of %d records delivered; first error: %v", d, *records, firstErr)
	}
	return nil
}

func runPerfConsume(args []string) error {
	var b brokerFlags
	fs := newFlagSet("perf-consume", &b)
	records := fs.Int64("records", 0, "records to read")
	if err := parseFlags(fs, args, &b); err != nil {
		return err
	}
	if err := positive("records", *records); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), perfConsumeTimeout)
	defer cancel()
	cl, err := b.assignAll(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()

	var got int64
	started := time.Now()
	for got < *records {
		fetches := cl.PollFetches(ctx)
		if err := fetchError(fetches); err != nil {
			return err
		}
		got += int64(fetches.NumRecords())
		if ctx.Err() != nil && got < *records {
			return fmt.Errorf("timed out after %v with %d of %d records", perfConsumeTimeout, got, *records)
		}
	}
	return printJSON(struct {
		Records  int64   `json:"records"`
		ConsumeS float64 `json:"consume_s"`
	}{*records, time.Since(started).Seconds()})
}
