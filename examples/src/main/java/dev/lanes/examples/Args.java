package dev.lanes.examples;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The examples' command-line options, all of the form {@code --name value}: an unknown name, or a name
 * without a value, stops the program with a message listing the options it takes.
 */
final class Args {
    private final Map<String, String> values = new LinkedHashMap<>();

    /** Parses {@code args}, accepting only the options named in {@code usage} (e.g. {@code "--seed S"}). */
    Args(String[] args, String... usage) {
        List<String> names = java.util.Arrays.stream(usage).map(u -> u.split(" ")[0]).toList();
        String help = "options: " + String.join(" ", usage);
        for (int i = 0; i < args.length; i += 2) {
            if (!names.contains(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; " + help);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value; " + help);
            }
            values.put(args[i], args[i + 1]);
        }
    }

    String string(String name, String otherwise) {
        return values.getOrDefault(name, otherwise);
    }

    int integer(String name, int otherwise) {
        return values.containsKey(name) ? parse(name, Integer::parseInt) : otherwise;
    }

    long longInteger(String name, long otherwise) {
        return values.containsKey(name) ? parse(name, Long::parseLong) : otherwise;
    }

    double real(String name, double otherwise) {
        return values.containsKey(name) ? parse(name, Double::parseDouble) : otherwise;
    }

    /** A path option, or {@code otherwise} (which may be null) when it is not given. */
    Path path(String name, Path otherwise) {
        return values.containsKey(name) ? Path.of(values.get(name)) : otherwise;
    }

    private <T> T parse(String name, java.util.function.Function<String, T> parser) {
        try {
            return parser.apply(values.get(name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " takes a number, got '" + values.get(name) + "'");
        }
    }
}
