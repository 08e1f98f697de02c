package dev.ottla.peer;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;

/**
 * {@code partition}: the partition the Java client's default partitioner gives key
 * {@code key-i} for i in 0..N over P partitions, one per line (no broker needed).
 *
 * <p>With no partitioner configured, KafkaProducer places a keyed record with
 * {@link BuiltInPartitioner#partitionForKey} (toPositive(murmur2(key)) % partitions, Kafka 3.3
 * and later); keyless records go to the sticky partition instead, which no key decides.
 */
final class Partition {
    static void run(Flags f) throws Exception {
        long partitions = f.positive("partitions", null);
        long keys = f.number("keys", null);
        f.done(false);
        if (keys < 0) {
            throw new Peer.UsageError("--keys must not be negative");
        }
        if (partitions > Integer.MAX_VALUE) {
            throw new Peer.UsageError("--partitions is too large");
        }
        Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        for (long i = 0; i < keys; i++) {
            out.write(Integer.toString(BuiltInPartitioner.partitionForKey(PeerRecords.utf8("key-" + i), (int) partitions)));
            out.write('\n');
        }
        out.flush();
    }

    private Partition() {}
}
