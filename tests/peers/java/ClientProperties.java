package dev.ottla.peer;

import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The flags every subcommand that talks to a broker takes (--bootstrap, --topic, -X) and the
 * client properties built from them.
 *
 * <p>-X takes the Java client's own property names (the client honours them all), except the
 * ones the peer sets from its flags. Three more keys are accepted so one set of -X properties
 * serves every peer: {@code sasl.username} and {@code sasl.password} become the
 * {@code sasl.jaas.config} of the {@code sasl.mechanism} (PLAIN or SCRAM-SHA-256/512), and
 * {@code ssl.ca.location} (a PEM file) becomes a PEM {@code ssl.truststore.location}. Any other
 * key is rejected.
 */
final class ClientProperties {
    /** The client id the peer connects with. */
    static final String CLIENT_ID = "ottla-java-peer";

    enum Kind {
        PRODUCER,
        CONSUMER
    }

    final String bootstrap;
    final String topic;
    private final Flags flags;

    private ClientProperties(Flags flags) throws Peer.UsageError {
        this.flags = flags;
        this.bootstrap = flags.required("bootstrap");
        this.topic = flags.required("topic");
    }

    static ClientProperties of(Flags flags) throws Peer.UsageError {
        return new ClientProperties(flags);
    }

    /**
     * The properties of a {@code kind} client: bootstrap servers, {@code owned} (what the
     * subcommand's flags decide; -X may not set these), the -X properties and, unless -X names
     * one, client id {@value #CLIENT_ID}.
     */
    Properties build(Kind kind, Map<String, String> owned) throws Peer.UsageError {
        Set<String> known = kind == Kind.PRODUCER ? ProducerConfig.configNames() : ConsumerConfig.configNames();
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.putAll(owned);
        String username = null;
        String password = null;
        String caLocation = null;
        for (String[] kv : flags.properties()) {
            String key = kv[0];
            String value = kv[1];
            if (p.containsKey(key)) {
                throw new Peer.UsageError("-X " + key + ": set by the peer itself (from its flags), not settable here");
            }
            switch (key) {
                case "sasl.username":
                    username = value;
                    continue;
                case "sasl.password":
                    password = value;
                    continue;
                case "ssl.ca.location":
                    caLocation = value;
                    continue;
                default:
                    break;
            }
            if (!known.contains(key)) {
                throw new Peer.UsageError("-X " + key + ": not a " + kind.name().toLowerCase()
                        + " property of kafka-clients (nor sasl.username, sasl.password, ssl.ca.location)");
            }
            p.put(key, value);
        }
        p.putIfAbsent("client.id", CLIENT_ID);
        if (caLocation != null) {
            if (p.containsKey("ssl.truststore.location")) {
                throw new Peer.UsageError("-X ssl.ca.location and ssl.truststore.location both given");
            }
            String type = p.getProperty("ssl.truststore.type", "PEM");
            if (!type.equalsIgnoreCase("PEM")) {
                throw new Peer.UsageError("-X ssl.ca.location is a PEM file but ssl.truststore.type=" + type);
            }
            p.put("ssl.truststore.location", caLocation);
            p.put("ssl.truststore.type", "PEM");
        }
        if (username != null || password != null) {
            if (username == null || password == null) {
                throw new Peer.UsageError("-X sasl.username and sasl.password go together");
            }
            if (p.containsKey("sasl.jaas.config")) {
                throw new Peer.UsageError("-X sasl.username/sasl.password and sasl.jaas.config both given");
            }
            p.put("sasl.jaas.config", jaasConfig(p.getProperty("sasl.mechanism", "PLAIN"), username, password));
        }
        return p;
    }

    /** The login module line for a user name and password under {@code mechanism}. */
    private static String jaasConfig(String mechanism, String username, String password) throws Peer.UsageError {
        String module;
        switch (mechanism.toUpperCase()) {
            case "PLAIN":
                module = "org.apache.kafka.common.security.plain.PlainLoginModule";
                break;
            case "SCRAM-SHA-256":
            case "SCRAM-SHA-512":
                module = "org.apache.kafka.common.security.scram.ScramLoginModule";
                break;
            default:
                throw new Peer.UsageError("-X sasl.username/sasl.password: sasl.mechanism=" + mechanism
                        + " takes no user name (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)");
        }
        return module + " required username=" + quoted(username) + " password=" + quoted(password) + ";";
    }

    /** A JAAS string value: double quotes, with backslash and quote escaped. */
    private static String quoted(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
