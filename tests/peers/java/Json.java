package dev.ottla.peer;

import java.util.Base64;
import java.util.Locale;

/** One JSON object, written field by field (no library: the peer needs only this). */
final class Json {
    private final StringBuilder out = new StringBuilder("{");
    private boolean first = true;

    private Json name(String name) {
        if (!first) {
            out.append(',');
        }
        first = false;
        string(out, name);
        out.append(':');
        return this;
    }

    Json field(String name, long value) {
        name(name).out.append(value);
        return this;
    }

    /** A number of seconds, six decimals. */
    Json seconds(String name, double value) {
        name(name).out.append(String.format(Locale.ROOT, "%.6f", value));
        return this;
    }

    /** Standard base64 with padding, or null. */
    Json base64(String name, byte[] value) {
        name(name);
        base64(out, value);
        return this;
    }

    /** A value written by the caller (an array). */
    Json raw(String name, CharSequence json) {
        name(name).out.append(json);
        return this;
    }

    @Override
    public String toString() {
        return out + "}";
    }

    static void base64(StringBuilder out, byte[] value) {
        if (value == null) {
            out.append("null");
        } else {
            out.append('"').append(Base64.getEncoder().encodeToString(value)).append('"');
        }
    }

    /** A JSON string: quotes, backslash and control characters escaped. */
    static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                case '\n':
                    out.append("\\n");
                    break;
                case '\r':
                    out.append("\\r");
                    break;
                case '\t':
                    out.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }
}
