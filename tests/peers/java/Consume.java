package dev.ottla.peer;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code consume}: assigns every partition of the topic from the earliest offset (no group),
 * reads until N records arrived and prints one JSON line per record in arrival order.
 */
final class Consume {
    /** How long consume keeps reading after the N-th record to catch records beyond N. */
    private static final long EXTRA_WAIT_MS = 1000;

    /** A consumer of raw bytes with no group, isolation as given. */
    static KafkaConsumer<byte[], byte[]> consumer(ClientProperties broker, String isolation) throws Peer.UsageError {
        Map<String, String> owned = new LinkedHashMap<>();
        owned.put("key.deserializer", ByteArrayDeserializer.class.getName());
        owned.put("value.deserializer", ByteArrayDeserializer.class.getName());
        owned.put("isolation.level", isolation);
        owned.put("enable.auto.commit", "false");
        owned.put("auto.offset.reset", "earliest");
        return new KafkaConsumer<>(broker.build(ClientProperties.Kind.CONSUMER, owned));
    }

    /**
     * Assigns every partition of {@code topic} at its earliest offset, waiting until
     * {@code deadlineNanos} for the topic to have partitions.
     */
    static void assignAll(KafkaConsumer<byte[], byte[]> consumer, String topic, long deadlineNanos) throws Exception {
        while (true) {
            long leftMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
            if (leftMs <= 0) {
                throw new Peer.Failure("topic " + topic + " has no partitions");
            }
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofMillis(leftMs));
            if (infos != null && !infos.isEmpty()) {
                List<TopicPartition> tps = new ArrayList<>();
                for (PartitionInfo i : infos) {
                    tps.add(new TopicPartition(topic, i.partition()));
                }
                consumer.assign(tps);
                consumer.seekToBeginning(tps);
                return;
            }
            Thread.sleep(100);
        }
    }

    /** One output line: partition, offset, timestamp, key, value and headers. */
    static String line(ConsumerRecord<byte[], byte[]> r) {
        StringBuilder headers = new StringBuilder("[");
        for (Header h : r.headers()) {
            if (headers.length() > 1) {
                headers.append(',');
            }
            headers.append('[');
            Json.string(headers, h.key());
            headers.append(',');
            Json.base64(headers, h.value());
            headers.append(']');
        }
        headers.append(']');
        return new Json()
                .field("partition", r.partition())
                .field("offset", r.offset())
                .field("timestamp", r.timestamp())
                .base64("key", r.key())
                .base64("value", r.value())
                .raw("headers", headers)
                .toString();
    }

    static void run(Flags f) throws Exception {
        ClientProperties broker = ClientProperties.of(f);
        long count = f.positive("count", null);
        String isolation = f.string("isolation", "read_uncommitted");
        long timeoutMs = f.positive("timeout-ms", 30000L);
        f.done(true);
        if (!isolation.equals("read_committed") && !isolation.equals("read_uncommitted")) {
            throw new Peer.UsageError("--isolation wants read_committed or read_uncommitted, got \"" + isolation + "\"");
        }
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        List<String> lines = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(broker, isolation)) {
            assignAll(consumer, broker.topic, deadline);
            while (lines.size() < count) {
                long leftMs = (deadline - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    throw new Peer.Failure("timed out after " + timeoutMs + " ms with " + lines.size() + " of "
                            + count + " records");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(Math.min(leftMs, 500)))) {
                    lines.add(line(r));
                }
            }
            long extraEnd = System.nanoTime() + EXTRA_WAIT_MS * 1_000_000;
            long leftMs;
            while ((leftMs = (extraEnd - System.nanoTime()) / 1_000_000) > 0) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(leftMs))) {
                    lines.add(line(r));
                }
            }
        }
        if (lines.size() > count) {
            throw new Peer.Failure(lines.size() + " records arrived, more than the " + count + " expected");
        }
        Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        for (String l : lines) {
            out.write(l);
            out.write('\n');
        }
        out.flush();
    }

    private Consume() {}
}
