package dev.ottla.peer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code produce}: sends the peer records I .. I+N (or one transaction of N records per entry of
 * --transactions) and waits for every delivery.
 */
final class Produce {
    /** The --codec / --compression names (Kafka's compression.type values). */
    static final List<String> CODECS = List.of("none", "gzip", "snappy", "lz4", "zstd");

    static String codec(Flags f, String name, String fallback) throws Peer.UsageError {
        String c = fallback == null ? f.required(name) : f.string(name, fallback);
        if (!CODECS.contains(c)) {
            throw new Peer.UsageError("unknown codec \"" + c + "\" (none, gzip, snappy, lz4, zstd)");
        }
        return c;
    }

    /** The commit (true) / abort (false) list of a --transactions pattern such as C,A,C. */
    private static List<Boolean> pattern(String s) throws Peer.UsageError {
        List<Boolean> out = new ArrayList<>();
        for (String e : s.split(",", -1)) {
            switch (e.trim()) {
                case "C":
                    out.add(true);
                    break;
                case "A":
                    out.add(false);
                    break;
                default:
                    throw new Peer.UsageError("--transactions: entry \"" + e + "\" is neither C nor A");
            }
        }
        return out;
    }

    static void run(Flags f) throws Exception {
        ClientProperties broker = ClientProperties.of(f);
        long count = f.positive("count", null);
        long start = f.number("start", 0L);
        String codec = codec(f, "codec", "none");
        boolean idempotent = f.bool("idempotent", true);
        long explicit = f.number("partitions-explicit", 0L);
        String txnPattern = f.string("transactions", null);
        String txnId = f.string("transactional-id", null);
        f.done(true);
        if (start < 0 || explicit < 0) {
            throw new Peer.UsageError("--start and --partitions-explicit must not be negative");
        }
        List<Boolean> txns = List.of(true);
        boolean transactional = txnPattern != null;
        if (transactional) {
            if (txnId == null || txnId.isEmpty()) {
                throw new Peer.UsageError("--transactions needs --transactional-id");
            }
            if (!idempotent) {
                throw new Peer.UsageError("--transactions needs --idempotent true");
            }
            txns = pattern(txnPattern);
        } else if (txnId != null) {
            throw new Peer.UsageError("--transactional-id needs --transactions");
        }

        Map<String, String> owned = new LinkedHashMap<>();
        owned.put("key.serializer", ByteArraySerializer.class.getName());
        owned.put("value.serializer", ByteArraySerializer.class.getName());
        owned.put("compression.type", codec);
        owned.put("enable.idempotence", Boolean.toString(idempotent));
        if (transactional) {
            owned.put("transactional.id", txnId);
        }
        long sent = 0;
        long committed = 0;
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(broker.build(ClientProperties.Kind.PRODUCER, owned))) {
            if (transactional) {
                producer.initTransactions();
            }
            long next = start;
            for (boolean commit : txns) {
                if (transactional) {
                    producer.beginTransaction();
                }
                List<Future<RecordMetadata>> deliveries = new ArrayList<>();
                for (long k = 0; k < count; k++, next++) {
                    Integer partition = explicit > 0 ? Integer.valueOf((int) (next % explicit)) : null;
                    deliveries.add(producer.send(PeerRecords.record(broker.topic, partition, next)));
                }
                // Every record is written before the transaction ends, so an aborted
                // transaction's records are in the log (read_uncommitted sees them).
                producer.flush();
                for (int k = 0; k < deliveries.size(); k++) {
                    try {
                        deliveries.get(k).get();
                    } catch (ExecutionException e) {
                        throw new Peer.Failure("record " + (next - count + k) + " not delivered: " + e.getCause(),
                                e.getCause());
                    }
                }
                if (transactional) {
                    if (commit) {
                        producer.commitTransaction();
                    } else {
                        producer.abortTransaction();
                    }
                }
                sent += count;
                if (commit) {
                    committed += count;
                }
            }
        }
        Json out = new Json().field("sent", sent);
        if (transactional) {
            out.field("committed", committed);
        }
        System.out.println(out);
    }

    private Produce() {}
}
