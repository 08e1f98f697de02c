package dev.ottla.peer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code group-member}: joins consumer group G subscribing to topic T and prints one JSON line
 * per rebalance callback, {@code {"event":"assigned"|"revoked"|"lost","partitions":[…]}}, until
 * its stdin ends; then it closes the consumer (leaving the group) and prints
 * {@code {"event":"closed"}}. {@code --assignor} picks partition.assignment.strategy (classic
 * protocol) or, with {@code --protocol consumer}, group.remote.assignor (KIP-848).
 */
final class GroupMember {
    static void run(Flags f) throws Exception {
        ClientProperties broker = ClientProperties.of(f);
        String topic = f.required("topic");
        String group = f.required("group");
        String protocol = f.string("protocol", "classic");
        String assignor = f.string("assignor", protocol.equals("consumer") ? "uniform" : "cooperative-sticky");
        f.done(true);
        Map<String, String> owned = new LinkedHashMap<>();
        owned.put("key.deserializer", ByteArrayDeserializer.class.getName());
        owned.put("value.deserializer", ByteArrayDeserializer.class.getName());
        owned.put("group.id", group);
        owned.put("group.protocol", protocol);
        owned.put("auto.offset.reset", "earliest");
        owned.put("enable.auto.commit", "false");
        if (protocol.equals("consumer")) {
            owned.put("group.remote.assignor", assignor);
        } else {
            owned.put("partition.assignment.strategy", strategy(assignor));
            owned.put("heartbeat.interval.ms", "300");
            owned.put("session.timeout.ms", "10000");
        }
        AtomicBoolean stop = new AtomicBoolean(false);
        Thread stdin = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                while (in.readLine() != null) {
                    // Any line is ignored; the end of input stops the member.
                }
            } catch (Exception e) {
                // Treated as the end of input.
            }
            stop.set(true);
        });
        stdin.setDaemon(true);
        stdin.start();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(broker.build(ClientProperties.Kind.CONSUMER, owned))) {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    print("assigned", partitions);
                }

                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    print("revoked", partitions);
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    print("lost", partitions);
                }
            });
            while (!stop.get()) {
                consumer.poll(Duration.ofMillis(100));
            }
        }
        System.out.println(new Json().raw("event", "\"closed\""));
        System.out.flush();
    }

    private static String strategy(String assignor) throws Peer.UsageError {
        switch (assignor) {
            case "range":
                return "org.apache.kafka.clients.consumer.RangeAssignor";
            case "roundrobin":
                return "org.apache.kafka.clients.consumer.RoundRobinAssignor";
            case "cooperative-sticky":
                return "org.apache.kafka.clients.consumer.CooperativeStickyAssignor";
            default:
                throw new Peer.UsageError("--assignor: range, roundrobin or cooperative-sticky, got " + assignor);
        }
    }

    private static void print(String event, Collection<TopicPartition> partitions) {
        StringBuilder list = new StringBuilder("[");
        partitions.stream().map(TopicPartition::partition).sorted().forEach(p -> {
            if (list.length() > 1) {
                list.append(',');
            }
            list.append(p);
        });
        list.append(']');
        System.out.println(new Json().raw("event", "\"" + event + "\"").raw("partitions", list));
        System.out.flush();
    }
}
