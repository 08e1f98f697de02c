package dev.ottla.peer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/** The peer record set and the perf payload of tests/peers/README.md. */
final class PeerRecords {
    /** The create time of record 0, in milliseconds. */
    static final long TIMESTAMP_BASE = 1_700_000_000_000L;

    /**
     * Record {@code i} for {@code topic}: null key every 10th record from 3, null value every
     * 10th from 7, headers by i % 3 (a null-valued header when i % 3 == 2), create time
     * TIMESTAMP_BASE + i. {@code partition} null leaves the choice to the partitioner.
     */
    static ProducerRecord<byte[], byte[]> record(String topic, Integer partition, long i) {
        byte[] key = i % 10 == 3 ? null : utf8("key-" + i);
        byte[] value = null;
        if (i % 10 != 7) {
            byte[] prefix = utf8("value-" + i + ":");
            value = Arrays.copyOf(prefix, prefix.length + (int) (i % 200));
            Arrays.fill(value, prefix.length, value.length, (byte) ('a' + i % 26));
        }
        List<Header> headers = new ArrayList<>();
        if (i % 3 != 0) {
            headers.add(new RecordHeader("idx", utf8(Long.toString(i))));
            headers.add(new RecordHeader("empty", new byte[0]));
            if (i % 3 == 2) {
                headers.add(new RecordHeader("nullv", (byte[]) null));
            }
        }
        return new ProducerRecord<>(topic, partition, TIMESTAMP_BASE + i, key, value, headers);
    }

    /**
     * {@code size} printable bytes ('!'..'~') from xorshift64*, the same as ottla's
     * crates/ottla-cli/src/commands/perf/payload.rs.
     */
    static byte[] payload(int size) {
        long s = 0x9E3779B97F4A7C15L;
        byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
            s ^= s >>> 12;
            s ^= s << 25;
            s ^= s >>> 27;
            long r = (s * 0x2545F4914F6CDD1DL) >>> 32;
            out[i] = (byte) ('!' + r % 94);
        }
        return out;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private PeerRecords() {}
}
