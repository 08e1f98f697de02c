package main

import (
	"bytes"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// peerTimestampBase is the create time of record 0, in milliseconds.
const peerTimestampBase = 1700000000000

// peerRecord is record i of the peer record set (tests/peers/README.md): nil key every 10th
// record from 3, nil value every 10th from 7, headers by i%3 (a nil-valued header when i%3 == 2)
// and create time 1700000000000+i ms.
func peerRecord(i int64) *kgo.Record {
	r := &kgo.Record{Timestamp: time.UnixMilli(peerTimestampBase + i)}
	if i%10 != 3 {
		r.Key = []byte("key-" + strconv.FormatInt(i, 10))
	}
	if i%10 != 7 {
		prefix := "value-" + strconv.FormatInt(i, 10) + ":"
		r.Value = append([]byte(prefix), bytes.Repeat([]byte{byte('a' + i%26)}, int(i%200))...)
	}
	if i%3 != 0 {
		// An empty header value is a non-nil empty slice: kgo writes nil as Kafka's null (-1).
		r.Headers = []kgo.RecordHeader{
			{Key: "idx", Value: []byte(strconv.FormatInt(i, 10))},
			{Key: "empty", Value: []byte{}},
		}
		if i%3 == 2 {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: "nullv", Value: nil})
		}
	}
	return r
}
