package dev.ottla.peer;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** {@code perf-produce} and {@code perf-consume}: the perf payload, timed. */
final class Perf {
    /** perf-consume has no --timeout-ms; it gives up after this long. */
    private static final long CONSUME_TIMEOUT_MS = 5 * 60 * 1000;

    static void produce(Flags f) throws Exception {
        ClientProperties broker = ClientProperties.of(f);
        long records = f.positive("records", null);
        long size = f.positive("record-size", null);
        String codec = Produce.codec(f, "compression", null);
        String acks = f.required("acks");
        long linger = f.number("linger-ms", null);
        boolean idempotence = f.bool("idempotence", null);
        f.positive("partitions-hint", 1L); // the client learns the partitions from metadata
        f.done(true);
        if (linger < 0) {
            throw new Peer.UsageError("--linger-ms must not be negative");
        }
        if (size > Integer.MAX_VALUE) {
            throw new Peer.UsageError("--record-size is too large");
        }
        switch (acks) {
            case "all":
            case "-1":
            case "1":
            case "0":
                break;
            default:
                throw new Peer.UsageError("--acks wants all, -1, 1 or 0, got \"" + acks + "\"");
        }
        if (idempotence && !(acks.equals("all") || acks.equals("-1"))) {
            throw new Peer.UsageError("--idempotence true needs --acks all");
        }
        Map<String, String> owned = new LinkedHashMap<>();
        owned.put("key.serializer", ByteArraySerializer.class.getName());
        owned.put("value.serializer", ByteArraySerializer.class.getName());
        owned.put("compression.type", codec);
        owned.put("acks", acks);
        owned.put("linger.ms", Long.toString(linger));
        owned.put("enable.idempotence", Boolean.toString(idempotence));

        byte[] value = PeerRecords.payload((int) size);
        AtomicLong delivered = new AtomicLong();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        double seconds;
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(broker.build(ClientProperties.Kind.PRODUCER, owned))) {
            long started = System.nanoTime();
            for (long i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(broker.topic, null, value), (m, e) -> {
                    if (e == null) {
                        delivered.incrementAndGet();
                    } else {
                        firstError.compareAndSet(null, e);
                    }
                });
            }
            producer.flush();
            seconds = (System.nanoTime() - started) / 1e9;
        }
        long d = delivered.get();
        System.out.println(new Json()
                .field("records", records)
                .field("delivered", d)
                .seconds("produce_s", seconds));
        if (d != records) {
            throw new Peer.Failure(d + " of " + records + " records delivered; first error: " + firstError.get());
        }
    }

    static void consume(Flags f) throws Exception {
        ClientProperties broker = ClientProperties.of(f);
        long records = f.positive("records", null);
        f.done(true);
        long deadline = System.nanoTime() + CONSUME_TIMEOUT_MS * 1_000_000;
        long got = 0;
        double seconds;
        try (KafkaConsumer<byte[], byte[]> consumer = Consume.consumer(broker, "read_uncommitted")) {
            Consume.assignAll(consumer, broker.topic, deadline);
            long started = System.nanoTime();
            while (got < records) {
                long leftMs = (deadline - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    throw new Peer.Failure("timed out after " + CONSUME_TIMEOUT_MS + " ms with " + got + " of "
                            + records + " records");
                }
                got += consumer.poll(Duration.ofMillis(Math.min(leftMs, 500))).count();
            }
            seconds = (System.nanoTime() - started) / 1e9;
        }
        System.out.println(new Json().field("records", records).seconds("consume_s", seconds));
    }

    private Perf() {}
}
