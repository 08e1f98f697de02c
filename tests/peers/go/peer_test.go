package main

import (
	"bytes"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// The first 40 bytes of the perf payload, computed from the formula in tests/peers/README.md.
func TestPayloadKnownAnswer(t *testing.T) {
	const want = "9X;,`<-O=fsI.6tJpgE-6&m45jmU|9*39T)SM&o2"
	if got := string(payload(40)); got != want {
		t.Fatalf("payload(40) = %q, want %q", got, want)
	}
	if !bytes.HasPrefix(payload(1000), []byte(want)) {
		t.Fatal("payload(1000) does not start like payload(40)")
	}
}

// Keys and murmur2 hashes published by the Java client's UtilsTest.testMurmur2: the default
// partitioner must pick (hash & 0x7fffffff) % n, as Java does.
func TestDefaultPartitionerMatchesJava(t *testing.T) {
	vectors := []struct {
		key  string
		hash int32
	}{
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
	}
	p, err := defaultPartitioner()
	if err != nil {
		t.Fatal(err)
	}
	tp := p.ForTopic("t")
	bp, ok := tp.(kgo.TopicBackupPartitioner)
	if !ok {
		t.Fatal("kgo's default partitioner is no longer a TopicBackupPartitioner; partition.go handles both, update this test")
	}
	for _, v := range vectors {
		for _, n := range []int{1, 3, 7, 32} {
			want := int(uint32(v.hash)&0x7fffffff) % n
			got := bp.PartitionByBackup(&kgo.Record{Key: []byte(v.key)}, n, &noBackup{n: n})
			if got != want {
				t.Errorf("key %q over %d partitions: got %d, want %d", v.key, n, got, want)
			}
		}
	}
}

// Spot checks of the peer record set against tests/peers/README.md.
func TestPeerRecord(t *testing.T) {
	r := peerRecord(2)
	if string(r.Key) != "key-2" || string(r.Value) != "value-2:cc" || r.Timestamp.UnixMilli() != 1700000000002 {
		t.Fatalf("record 2: %q %q %v", r.Key, r.Value, r.Timestamp)
	}
	if len(r.Headers) != 3 || string(r.Headers[0].Value) != "2" || r.Headers[1].Value == nil ||
		len(r.Headers[1].Value) != 0 || r.Headers[2].Key != "nullv" || r.Headers[2].Value != nil {
		t.Fatalf("record 2 headers: %#v", r.Headers)
	}
	if r := peerRecord(13); r.Key != nil || r.Headers[0].Key != "idx" || len(r.Headers) != 2 {
		t.Fatalf("record 13: %#v", r)
	}
	if r := peerRecord(27); r.Value != nil || len(r.Headers) != 0 {
		t.Fatalf("record 27: %#v", r)
	}
	if r := peerRecord(199); len(r.Value) != len("value-199:")+199 || r.Value[len(r.Value)-1] != 'a'+199%26 {
		t.Fatalf("record 199 value: %q", r.Value)
	}
}
