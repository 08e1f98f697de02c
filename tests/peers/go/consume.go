package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// extraWait is how long consume keeps reading after the N-th record to catch records beyond N.
const extraWait = time.Second

// consumedRecord is one output line of consume. encoding/json writes []byte as standard
// base64 with padding and a nil slice as null.
type consumedRecord struct {
	Partition int32    `json:"partition"`
	Offset    int64    `json:"offset"`
	Timestamp int64    `json:"timestamp"`
	Key       []byte   `json:"key"`
	Value     []byte   `json:"value"`
	Headers   [][2]any `json:"headers"`
}

func consumedLine(r *kgo.Record) ([]byte, error) {
	c := consumedRecord{
		Partition: r.Partition,
		Offset:    r.Offset,
		Timestamp: r.Timestamp.UnixMilli(),
		Key:       r.Key,
		Value:     r.Value,
		Headers:   make([][2]any, 0, len(r.Headers)),
	}
	for _, h := range r.Headers {
		c.Headers = append(c.Headers, [2]any{h.Key, h.Value})
	}
	return json.Marshal(c)
}

// isolation maps --isolation to kgo's isolation level.
func isolation(name string) (kgo.IsolationLevel, error) {
	switch name {
	case "read_uncommitted":
		return kgo.ReadUncommitted(), nil
	case "read_committed":
		return kgo.ReadCommitted(), nil
	}
	return kgo.ReadUncommitted(), usagef("--isolation wants read_committed or read_uncommitted, got %q", name)
}

// fetchError is the first error in fs other than ctx ending.
func fetchError(fs kgo.Fetches) error {
	for _, e := range fs.Errors() {
		if errors.Is(e.Err, context.DeadlineExceeded) || errors.Is(e.Err, context.Canceled) {
			continue
		}
		return fmt.Errorf("fetch %s[%d]: %w", e.Topic, e.Partition, e.Err)
	}
	return nil
}

func runConsume(args []string) error {
	var b brokerFlags
	fs := newFlagSet("consume", &b)
	count := fs.Int("count", 0, "records to read")
	level := fs.String("isolation", "read_uncommitted", "read_committed|read_uncommitted")
	timeoutMs := fs.Int64("timeout-ms", 30000, "give up after this many ms")
	if err := parseFlags(fs, args, &b); err != nil {
		return err
	}
	if err := positive("count", int64(*count)); err != nil {
		return err
	}
	if err := positive("timeout-ms", *timeoutMs); err != nil {
		return err
	}
	iso, err := isolation(*level)
	if err != nil {
		return err
	}
	timeout := time.Duration(*timeoutMs) * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	cl, err := b.assignAll(ctx, kgo.FetchIsolationLevel(iso))
	if err != nil {
		return err
	}
	defer cl.Close()

	lines := make([][]byte, 0, *count)
	var encodeErr error
	collect := func(r *kgo.Record) {
		line, err := consumedLine(r)
		if err != nil && encodeErr == nil {
			encodeErr = err
		}
		lines = append(lines, line)
	}
	for len(lines) < *count {
		fetches := cl.PollFetches(ctx)
		if err := fetchError(fetches); err != nil {
			return err
		}
		fetches.EachRecord(collect)
		if ctx.Err() != nil && len(lines) < *count {
			return fmt.Errorf("timed out after %d ms with %d of %d records", *timeoutMs, len(lines), *count)
		}
	}
	extraCtx, cancelExtra := context.WithTimeout(context.Background(), extraWait)
	defer cancelExtra()
	for extraCtx.Err() == nil {
		fetches := cl.PollFetches(extraCtx)
		if err := fetchError(fetches); err != nil {
			return err
		}
		fetches.EachRecord(collect)
	}
	if encodeErr != nil {
		return encodeErr
	}
	if len(lines) > *count {
		return fmt.Errorf("%d records arrived, more than the %d expected", len(lines), *count)
	}
	out := make([]byte, 0, 256*len(lines))
	for _, line := range lines {
		out = append(append(out, line...), '\n')
	}
	_, err = os.Stdout.Write(out)
	return err
}
