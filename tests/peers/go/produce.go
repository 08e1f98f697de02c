package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// codecs maps the --codec / --compression names to kgo codecs.
var codecs = map[string]kgo.CompressionCodec{
	"none":   kgo.NoCompression(),
	"gzip":   kgo.GzipCompression(),
	"snappy": kgo.SnappyCompression(),
	"lz4":    kgo.Lz4Compression(),
	"zstd":   kgo.ZstdCompression(),
}

func codecOpt(name string) (kgo.ProducerOpt, error) {
	c, ok := codecs[name]
	if !ok {
		return nil, usagef("unknown codec %q (none, gzip, snappy, lz4, zstd)", name)
	}
	return kgo.ProducerBatchCompression(c), nil
}

// deliveries counts a producer's acknowledged records and keeps its first failure.
type deliveries struct {
	mu    sync.Mutex
	ok    int64
	first error
}

func (d *deliveries) promise(_ *kgo.Record, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err == nil {
		d.ok++
	} else if d.first == nil {
		d.first = err
	}
}

func (d *deliveries) result() (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ok, d.first
}

// transaction is one entry of a --transactions pattern.
type transaction struct{ commit bool }

func parsePattern(s string) ([]transaction, error) {
	var txns []transaction
	for _, e := range strings.Split(s, ",") {
		switch strings.TrimSpace(e) {
		case "C":
			txns = append(txns, transaction{commit: true})
		case "A":
			txns = append(txns, transaction{commit: false})
		default:
			return nil, usagef("--transactions: entry %q is neither C nor A", e)
		}
	}
	return txns, nil
}

func runProduce(args []string) error {
	var b brokerFlags
	fs := newFlagSet("produce", &b)
	count := fs.Int64("count", 0, "records per transaction (or in all)")
	start := fs.Int64("start", 0, "index of the first record")
	codec := fs.String("codec", "none", "none|gzip|snappy|lz4|zstd")
	idempotent := fs.String("idempotent", "true", "true|false")
	explicit := fs.Int("partitions-explicit", 0, "send record i to partition i % P")
	pattern := fs.String("transactions", "", "comma list of C (commit) and A (abort)")
	txnID := fs.String("transactional-id", "", "transactional id")
	if err := parseFlags(fs, args, &b); err != nil {
		return err
	}
	if err := positive("count", *count); err != nil {
		return err
	}
	if *start < 0 || *explicit < 0 {
		return usagef("--start and --partitions-explicit must not be negative")
	}
	idem, err := parseBool("idempotent", *idempotent)
	if err != nil {
		return err
	}
	compression, err := codecOpt(*codec)
	if err != nil {
		return err
	}
	txns := []transaction{{commit: true}}
	if *pattern != "" {
		if *txnID == "" {
			return usagef("--transactions needs --transactional-id")
		}
		if !idem {
			return usagef("--transactions needs --idempotent true")
		}
		if txns, err = parsePattern(*pattern); err != nil {
			return err
		}
	} else if *txnID != "" {
		return usagef("--transactional-id needs --transactions")
	}

	opts := []kgo.Opt{
		kgo.DefaultProduceTopic(b.topic),
		kgo.AllowAutoTopicCreation(),
		compression,
	}
	if !idem {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	if *explicit > 0 {
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	if *pattern != "" {
		opts = append(opts, kgo.TransactionalID(*txnID))
	}
	cl, err := b.newClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()

	ctx := context.Background()
	var d deliveries
	var sent, committed int64
	next := *start
	for _, txn := range txns {
		if *pattern != "" {
			if err := cl.BeginTransaction(); err != nil {
				return fmt.Errorf("begin transaction: %w", err)
			}
		}
		for range *count {
			r := peerRecord(next)
			if *explicit > 0 {
				r.Partition = int32(next % int64(*explicit))
			}
			cl.Produce(ctx, r, d.promise)
			next++
		}
		// Every record is written before the transaction ends, so an aborted transaction's
		// records are in the log (read_uncommitted sees them).
		if err := cl.Flush(ctx); err != nil {
			return fmt.Errorf("flush: %w", err)
		}
		if _, err := d.result(); err != nil {
			return fmt.Errorf("delivery failed: %w", err)
		}
		if *pattern != "" {
			end := kgo.TryAbort
			if txn.commit {
				end = kgo.TryCommit
			}
			if err := cl.EndTransaction(ctx, end); err != nil {
				return fmt.Errorf("end transaction (commit=%v): %w", txn.commit, err)
			}
		}
		sent += *count
		if txn.commit {
			committed += *count
		}
	}
	ok, err := d.result()
	if err == nil && ok != sent {
		err = errors.New("not every record was acknowledged")
	}
	if err != nil {
		return fmt.Errorf("%d of %d records delivered: %w", ok, sent, err)
	}
	if *pattern != "" {
		return printJSON(struct {
			Sent      int64 `json:"sent"`
			Committed int64 `json:"committed"`
		}{sent, committed})
	}
	return printJSON(struct {
		Sent int64 `json:"sent"`
	}{sent})
}
