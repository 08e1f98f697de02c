package dev.ottla.peer;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * ottla's Java reference-client peer: the subcommands and output of tests/peers/README.md, over
 * Apache Kafka's own client (kafka-clients, the broker's version).
 *
 * <pre>
 * ottla-java-peer produce         --bootstrap H:P --topic T --count N [--start I] [--codec C]
 *                                 [--idempotent true|false] [--partitions-explicit P]
 *                                 [--transactions PATTERN --transactional-id ID]
 * ottla-java-peer consume         --bootstrap H:P --topic T --count N
 *                                 [--isolation read_committed|read_uncommitted] [--timeout-ms M]
 * ottla-java-peer partition       --partitions P --keys N
 * ottla-java-peer perf-produce    --bootstrap H:P --topic T --records N --record-size S
 *                                 --compression C --acks A --linger-ms L --idempotence true|false
 *                                 [--partitions-hint P]
 * ottla-java-peer perf-consume    --bootstrap H:P --topic T --records N
 * ottla-java-peer group-member    --bootstrap H:P --topic T --group G
 *                                 [--assignor A] [--protocol classic|consumer]
 * ottla-java-peer msk-iam-payload --host H --access-key-id A --secret-access-key S
 *                                 [--session-token T] --region R
 * </pre>
 *
 * Subcommands that talk to a broker take -X key=value (repeatable, see ClientProperties).
 * Results go to stdout as JSON lines; errors go to stderr with exit status 1 (2 for a usage
 * error).
 *
 * <p>msk-iam-payload runs AWS's aws-msk-iam-auth, which is not on the plain Kafka classpath: its
 * class (MskIamPayload) is compiled and put on the classpath only by
 * {@code scripts/install-java-peer.sh --msk-iam}, and looked up here by name.
 */
public final class Peer {
    private static final String NAME = "ottla-java-peer";
    private static final String MSK_IAM_CLASS = "dev.ottla.peer.MskIamPayload";

    /** One subcommand: parses its arguments and runs. */
    interface Subcommand {
        void run(Flags flags) throws Exception;
    }

    /** A bad command line (exit status 2). */
    static final class UsageError extends Exception {
        private static final long serialVersionUID = 1L;

        UsageError(String message) {
            super(message);
        }
    }

    /** A failure the subcommand explains itself (exit status 1, message only). */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message);
        }

        Failure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static Map<String, Subcommand> subcommands() {
        Map<String, Subcommand> m = new TreeMap<>();
        m.put("produce", Produce::run);
        m.put("consume", Consume::run);
        m.put("partition", Partition::run);
        m.put("perf-produce", Perf::produce);
        m.put("perf-consume", Perf::consume);
        m.put("group-member", GroupMember::run);
        m.put("msk-iam-payload", Peer::mskIamPayload);
        return m;
    }

    private static void mskIamPayload(Flags flags) throws Exception {
        Class<?> c;
        try {
            c = Class.forName(MSK_IAM_CLASS);
        } catch (ClassNotFoundException e) {
            throw new Failure("msk-iam-payload needs aws-msk-iam-auth: use the peer printed by"
                    + " scripts/install-java-peer.sh --msk-iam");
        }
        c.asSubclass(Subcommand.class).getDeclaredConstructor().newInstance().run(flags);
    }

    public static void main(String[] args) {
        Map<String, Subcommand> all = subcommands();
        String usage = "usage: " + NAME + " " + String.join("|", all.keySet())
                + " [flags] (see tests/peers/README.md)";
        if (args.length < 1) {
            System.err.println(usage);
            System.exit(2);
        }
        Subcommand sub = all.get(args[0]);
        if (sub == null) {
            System.err.println("unknown subcommand \"" + args[0] + "\"\n" + usage);
            System.exit(2);
        }
        int status = 0;
        try {
            sub.run(new Flags(args[0], Arrays.copyOfRange(args, 1, args.length)));
        } catch (UsageError e) {
            System.err.println(NAME + " " + args[0] + ": " + e.getMessage());
            status = 2;
        } catch (Failure e) {
            System.err.println(NAME + " " + args[0] + ": " + e.getMessage());
            if (e.getCause() != null) {
                e.getCause().printStackTrace();
            }
            status = 1;
        } catch (Exception e) {
            System.err.println(NAME + " " + args[0] + ": " + e);
            e.printStackTrace();
            status = 1;
        }
        System.out.flush();
        // The client's threads are closed by now; exit also ends any the library left running.
        System.exit(status);
    }

    private Peer() {}
}
