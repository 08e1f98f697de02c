package dev.ottla.peer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A subcommand's command line: {@code --name value} (or {@code --name=value}) flags and the
 * repeatable {@code -X key=value} properties. Flags are read by name; {@link #done} rejects any
 * flag the subcommand did not read, so a typo is a usage error, not a silent default.
 */
final class Flags {
    private final String subcommand;
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String[]> properties = new ArrayList<>();
    private final List<String> read = new ArrayList<>();

    Flags(String subcommand, String[] args) throws Peer.UsageError {
        this.subcommand = subcommand;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-X")) {
                if (i + 1 >= args.length) {
                    throw new Peer.UsageError("-X needs key=value");
                }
                String kv = args[++i];
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new Peer.UsageError("-X wants key=value, got \"" + kv + "\"");
                }
                properties.add(new String[] {kv.substring(0, eq).trim(), kv.substring(eq + 1)});
                continue;
            }
            if (!a.startsWith("--") || a.length() == 2) {
                throw new Peer.UsageError("unexpected argument \"" + a + "\"");
            }
            String name = a.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else {
                if (i + 1 >= args.length) {
                    throw new Peer.UsageError("--" + name + " needs a value");
                }
                value = args[++i];
            }
            if (values.put(name, value) != null) {
                throw new Peer.UsageError("--" + name + " given twice");
            }
        }
    }

    String subcommand() {
        return subcommand;
    }

    /** The -X properties in the order given, each {key, value}. */
    List<String[]> properties() {
        return properties;
    }

    String string(String name, String fallback) {
        read.add(name);
        return values.getOrDefault(name, fallback);
    }

    String required(String name) throws Peer.UsageError {
        String v = string(name, null);
        if (v == null || v.isEmpty()) {
            throw new Peer.UsageError("--" + name + " is required");
        }
        return v;
    }

    long number(String name, Long fallback) throws Peer.UsageError {
        String v = string(name, null);
        if (v == null) {
            if (fallback == null) {
                throw new Peer.UsageError("--" + name + " is required");
            }
            return fallback;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new Peer.UsageError("--" + name + " wants a number, got \"" + v + "\"");
        }
    }

    long positive(String name, Long fallback) throws Peer.UsageError {
        long v = number(name, fallback);
        if (v <= 0) {
            throw new Peer.UsageError("--" + name + " must be a positive number");
        }
        return v;
    }

    /** Exactly "true" or "false". */
    boolean bool(String name, Boolean fallback) throws Peer.UsageError {
        String v = string(name, fallback == null ? null : fallback.toString());
        if ("true".equals(v)) {
            return true;
        }
        if ("false".equals(v)) {
            return false;
        }
        throw new Peer.UsageError("--" + name + " wants true or false, got " + (v == null ? "nothing" : "\"" + v + "\""));
    }

    /** Fails on flags nobody read, and on -X properties when the subcommand takes none. */
    void done(boolean takesProperties) throws Peer.UsageError {
        for (String name : values.keySet()) {
            if (!read.contains(name)) {
                throw new Peer.UsageError("unknown flag --" + name + " for " + subcommand);
            }
        }
        if (!takesProperties && !properties.isEmpty()) {
            throw new Peer.UsageError(subcommand + " takes no -X properties");
        }
    }
}
