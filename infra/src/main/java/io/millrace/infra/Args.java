package io.millrace.infra;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Command-line arguments: positionals and {@code --name value} / {@code --name=value} options,
 * checked against the options a command knows so that a typo is an error, not silently ignored.
 */
final class Args {
    private final List<String> positionals = new ArrayList<>();
    private final Map<String, String> options = new LinkedHashMap<>();
    private final List<String> settings = new ArrayList<>();

    private Args() {}

    static Args parse(List<String> argv, Set<String> known, String usage) {
        Args a = new Args();
        for (int i = 0; i < argv.size(); i++) {
            String s = argv.get(i);
            if (!s.startsWith("--")) {
                a.positionals.add(s);
                continue;
            }
            String name = s.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < argv.size() && !argv.get(i + 1).startsWith("--")) {
                value = argv.get(++i);
            } else {
                throw new UsageException("option --" + name + " needs a value\n" + usage);
            }
            if (!known.contains(name)) {
                throw new UsageException("unknown option --" + name + "\n" + usage);
            }
            if (name.equals(SET)) {
                a.settings.add(value); // the one option that repeats: --set k=v --set k2=v2
            } else {
                a.options.put(name, value);
            }
        }
        return a;
    }

    /** The option that passes a client or stage setting through, e.g. {@code --set worker.engine=sequential}. */
    static final String SET = "set";

    /** The {@code --set key=value} pairs, in order (a later one wins). */
    Map<String, Object> settings() {
        Map<String, Object> map = new LinkedHashMap<>();
        for (String kv : settings) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("--set " + kv + " is not key=value: write e.g. --set worker.engine=sequential");
            }
            map.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
        return map;
    }

    List<String> positionals() {
        return positionals;
    }

    Optional<String> get(String name) {
        return Optional.ofNullable(options.get(name));
    }

    int intOption(String name, int fallback) {
        String v = options.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a whole number, got '" + v + "'");
        }
    }

    /** A mistake in how the command was called: printed with the usage, exit code 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
