package dev.lanes.nn.data;

import dev.lanes.nn.Tensor;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * A reader for numeric CSV files: every column a number, except that the label column may hold class
 * names, which are then numbered in order of first appearance. The result is a {@link Table} of features
 * (N, F) and labels (N), ready for a {@link TensorDataset}.
 *
 * <pre>{@code
 * // scikit-learn's iris.csv: a first line of its own ("150,4,setosa,versicolor,virginica"), label last
 * Csv.Table iris = Csv.read(path, Csv.Options.DEFAULT.skipLines(1).labelColumn(-1));
 * // a file with a header and string classes
 * Csv.Table t = Csv.read(path, Csv.Options.DEFAULT.header(true).labelColumn("species").classLabels(true));
 * TensorDataset ds = t.dataset();
 * }</pre>
 *
 * <p>Format: fields separated by the delimiter (default comma); a field may be quoted with double quotes,
 * inside which the delimiter is literal and {@code ""} is one quote; spaces around unquoted fields and
 * around quotes are ignored; blank lines are skipped; {@code \n} and {@code \r\n} line ends; UTF-8, with or
 * without a byte-order mark; a file whose first two bytes are gzip's magic is decompressed. A quoted field
 * cannot span lines. Numbers are what Python's {@code float()} accepts in decimal ({@code 1}, {@code -2.5},
 * {@code 1e-3}, {@code nan}, {@code inf}); each is parsed to the nearest double and then rounded to float,
 * as NumPy and pandas do before {@code torch.tensor(..., dtype=torch.float32)}. Errors name the file,
 * the line and the column (both counted from 1).
 */
public final class Csv {
    private Csv() {}

    /**
     * How to read a file; immutable, start from {@link #DEFAULT} and change what differs.
     */
    public static final class Options {
        private static final int NO_LABEL = Integer.MIN_VALUE;

        /** Comma-separated, no header, no label column, nothing skipped. */
        public static final Options DEFAULT = new Options(',', false, 0, NO_LABEL, null, false);

        private final char delimiter;
        private final boolean header;
        private final int skipLines;
        private final int labelIndex;
        private final String labelName;
        private final boolean classLabels;

        private Options(char delimiter, boolean header, int skipLines, int labelIndex, String labelName, boolean classLabels) {
            this.delimiter = delimiter;
            this.header = header;
            this.skipLines = skipLines;
            this.labelIndex = labelIndex;
            this.labelName = labelName;
            this.classLabels = classLabels;
        }

        /** The field separator (default {@code ','}; {@code ';'} and {@code '\t'} are common). */
        public Options delimiter(char delimiter) {
            if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
                throw new IllegalArgumentException("Csv.Options.delimiter: " + describe(delimiter) + " cannot separate fields");
            }
            return new Options(delimiter, header, skipLines, labelIndex, labelName, classLabels);
        }

        /** Whether the first line read (after {@link #skipLines}) holds column names (default false). */
        public Options header(boolean header) {
            return new Options(delimiter, header, skipLines, labelIndex, labelName, classLabels);
        }

        /**
         * How many physical lines to drop at the start of the file before anything else, blank or not
         * (default 0); for files with a preamble, such as scikit-learn's {@code iris.csv}.
         */
        public Options skipLines(int skipLines) {
            if (skipLines < 0) {
                throw new IllegalArgumentException("Csv.Options.skipLines: got " + skipLines + ", need 0 or more");
            }
            return new Options(delimiter, header, skipLines, labelIndex, labelName, classLabels);
        }

        /** The label column by position, from 0; negative counts from the end ({@code -1}: the last column). */
        public Options labelColumn(int index) {
            if (index == NO_LABEL) {
                throw new IllegalArgumentException("Csv.Options.labelColumn: " + index + " is not a column");
            }
            return new Options(delimiter, header, skipLines, index, null, classLabels);
        }

        /** The label column by its name in the header (which {@link #header(boolean)} must enable). */
        public Options labelColumn(String name) {
            Objects.requireNonNull(name, "Csv.Options.labelColumn: name");
            return new Options(delimiter, header, skipLines, NO_LABEL, name, classLabels);
        }

        /** No label column: every column is a feature, and the table's labels are null (the default). */
        public Options noLabel() {
            return new Options(delimiter, header, skipLines, NO_LABEL, null, classLabels);
        }

        /**
         * Whether the label column holds class names (any text) to be numbered 0, 1, ... in order of first
         * appearance (default false: labels are numbers, like the features).
         */
        public Options classLabels(boolean classLabels) {
            return new Options(delimiter, header, skipLines, labelIndex, labelName, classLabels);
        }

        boolean hasLabel() {
            return labelIndex != NO_LABEL || labelName != null;
        }
    }

    /**
     * What {@link #read} returns.
     *
     * @param features shape (N, F)
     * @param labels shape (N), or null when the options named no label column
     * @param featureNames the header's names of the feature columns, or an empty list without a header
     * @param classNames with {@code classLabels(true)}, the class names in label order; otherwise empty
     */
    public record Table(Tensor features, Tensor labels, List<String> featureNames, List<String> classNames) {
        public Table {
            Objects.requireNonNull(features, "Csv.Table: features");
            featureNames = List.copyOf(featureNames);
            classNames = List.copyOf(classNames);
        }

        /** The number of data rows. */
        public int rows() {
            return features.size(0);
        }

        /** A data set of features and labels. */
        public TensorDataset dataset() {
            if (labels == null) {
                throw new IllegalStateException("Csv.Table.dataset: this table has no label column (set Options.labelColumn)");
            }
            return new TensorDataset(features, labels);
        }
    }

    /**
     * Reads a CSV file (gzip-compressed or not).
     *
     * @throws IOException if it cannot be read, or a line is malformed (the message names the file, line
     *     and column), or it has no data rows
     */
    public static Table read(Path file, Options options) throws IOException {
        Objects.requireNonNull(options, "Csv.read: options");
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            if (!gzip) {
                return read(new InputStreamReader(raw, StandardCharsets.UTF_8.newDecoder()), file.toString(), options);
            }
            try (InputStream in = new GZIPInputStream(raw, 1 << 16)) { // closing it frees the inflater's native memory
                return read(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()), file.toString(), options);
            }
        } catch (ZipException e) {
            throw new IOException("Csv.read: " + file + " is not a valid gzip file: " + e.getMessage(), e);
        } catch (EOFException e) {
            throw new IOException("Csv.read: " + file + " is a truncated gzip file: " + e.getMessage(), e);
        }
    }

    /**
     * Reads CSV text from {@code reader} (not closed); {@code source} names it in error messages.
     */
    public static Table read(Reader reader, String source, Options options) throws IOException {
        Objects.requireNonNull(options, "Csv.read: options");
        return new Parser(source, options).parse(reader instanceof BufferedReader b ? b : new BufferedReader(reader, 1 << 16));
    }

    private static String describe(char c) {
        return switch (c) {
            case '\t' -> "'\\t'";
            case '\n' -> "'\\n'";
            case '\r' -> "'\\r'";
            default -> "'" + c + "'";
        };
    }

    private static final class Parser {
        private final String source;
        private final Options options;
        private final List<String> fields = new ArrayList<>();
        private final StringBuilder field = new StringBuilder();
        private final Map<String, Integer> classes = new LinkedHashMap<>();
        private int lineNo;
        private boolean firstDataLine;

        Parser(String source, Options options) {
            this.source = source;
            this.options = options;
        }

        Table parse(BufferedReader in) throws IOException {
            for (int k = 0; k < options.skipLines; k++) {
                if (readLine(in) == null) {
                    throw error("ends after " + lineNo + " lines, before the " + options.skipLines + " lines to skip");
                }
            }
            List<String> names = null;
            int columns = -1, firstLine = 0;
            int label = -1;
            float[] values = new float[1024];
            float[] labels = options.hasLabel() ? new float[256] : null;
            int rows = 0, at = 0;
            String line;
            while ((line = readLine(in)) != null) {
                if (line.isBlank()) {
                    continue;
                }
                split(line);
                if (columns < 0) {
                    columns = fields.size();
                    firstLine = lineNo;
                    if (options.header) {
                        names = List.copyOf(fields);
                    }
                    label = resolveLabel(names, columns);
                    if (options.header) {
                        continue;
                    }
                } else if (fields.size() != columns) {
                    throw error("line " + lineNo + " has " + fields.size() + " columns, line " + firstLine + " has " + columns);
                }
                firstDataLine = rows == 0;
                int features = label >= 0 ? columns - 1 : columns;
                if (at + features > values.length) {
                    values = Arrays.copyOf(values, Math.max(at + features, (int) Math.min(Integer.MAX_VALUE - 8, 2L * values.length)));
                }
                for (int c = 0; c < columns; c++) {
                    if (c == label) {
                        if (rows == labels.length) {
                            labels = Arrays.copyOf(labels, 2 * labels.length);
                        }
                        labels[rows] = labelValue(c);
                    } else {
                        values[at++] = number(c, false);
                    }
                }
                rows++;
            }
            if (rows == 0) {
                throw error(lineNo == 0 ? "is empty" : "has no data rows");
            }
            int features = label >= 0 ? columns - 1 : columns;
            Tensor x = Tensor.wrap(Arrays.copyOf(values, at), rows, features);
            Tensor y = label >= 0 ? Tensor.wrap(Arrays.copyOf(labels, rows), rows) : null;
            List<String> featureNames = new ArrayList<>();
            if (names != null) {
                for (int c = 0; c < columns; c++) {
                    if (c != label) {
                        featureNames.add(names.get(c));
                    }
                }
            }
            return new Table(x, y, featureNames, options.classLabels ? new ArrayList<>(classes.keySet()) : List.of());
        }

        private String readLine(BufferedReader in) throws IOException {
            String line;
            try {
                line = in.readLine();
            } catch (CharacterCodingException e) {
                // The decoder reads ahead, so the bad bytes are somewhere at or after this line.
                throw error("is not valid UTF-8 at or after line " + (lineNo + 1) + " (" + e + ")");
            }
            if (line != null) {
                lineNo++;
                if (lineNo == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
                    line = line.substring(1);
                }
            }
            return line;
        }

        private int resolveLabel(List<String> names, int columns) throws IOException {
            if (options.labelName != null) {
                if (names == null) {
                    throw new IllegalArgumentException("Csv.read: label column \"" + options.labelName
                            + "\" is given by name, but the options say the file has no header (use header(true))");
                }
                int i = names.indexOf(options.labelName);
                if (i < 0) {
                    throw error("has no column named \"" + options.labelName + "\" in its header (line " + lineNo
                            + "): " + names);
                }
                return i;
            }
            if (options.labelIndex == Options.NO_LABEL) {
                return -1;
            }
            int i = options.labelIndex < 0 ? columns + options.labelIndex : options.labelIndex;
            if (i < 0 || i >= columns) {
                throw error("has " + columns + " columns (line " + lineNo + "), so there is no label column "
                        + options.labelIndex);
            }
            return i;
        }

        private float labelValue(int c) throws IOException {
            if (!options.classLabels) {
                return number(c, true);
            }
            String name = fields.get(c);
            Integer id = classes.get(name);
            if (id == null) {
                if (name.isEmpty()) {
                    throw error("line " + lineNo + " column " + (c + 1) + ": the class label is empty");
                }
                id = classes.size();
                classes.put(name, id);
            }
            return id;
        }

        private float number(int c, boolean isLabel) throws IOException {
            String s = fields.get(c).strip();
            double v = parseNumber(s);
            if (Double.isNaN(v) && !isNaNText(s)) {
                String hint = isLabel ? " (for class names as labels, set Options.classLabels(true))"
                        : options.header || !firstDataLine ? "" : " (if this line is a header, set Options.header(true))";
                throw error("line " + lineNo + " column " + (c + 1) + ": "
                        + (s.isEmpty() ? "the field is empty" : "\"" + s + "\" is not a number") + hint);
            }
            return (float) v;
        }

        /** The value of a decimal number as Python's float() reads it; NaN for anything else. */
        private static double parseNumber(String s) {
            if (s.isEmpty()) {
                return Double.NaN;
            }
            for (int i = 0; i < s.length(); i++) {
                char ch = s.charAt(i);
                boolean ok = (ch >= '0' && ch <= '9') || ch == '.' || ch == 'e' || ch == 'E' || ch == '+' || ch == '-';
                if (!ok) {
                    String t = s.toLowerCase(Locale.ROOT);
                    boolean neg = t.startsWith("-");
                    String u = t.startsWith("-") || t.startsWith("+") ? t.substring(1) : t;
                    if (u.equals("inf") || u.equals("infinity")) {
                        return neg ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                    }
                    return Double.NaN;
                }
            }
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }

        private static boolean isNaNText(String s) {
            String t = s.toLowerCase(Locale.ROOT);
            return t.equals("nan") || t.equals("+nan") || t.equals("-nan");
        }

        /** Splits one line into {@link #fields}. */
        private void split(String line) throws IOException {
            fields.clear();
            char delim = options.delimiter;
            int n = line.length(), i = 0;
            while (true) {
                int column = fields.size() + 1;
                field.setLength(0);
                int start = i;
                while (i < n && line.charAt(i) != delim && Character.isWhitespace(line.charAt(i))) {
                    i++;
                }
                if (i < n && line.charAt(i) == '"') {
                    int open = i++;
                    boolean closed = false;
                    while (i < n) {
                        char ch = line.charAt(i++);
                        if (ch == '"') {
                            if (i < n && line.charAt(i) == '"') {
                                field.append('"');
                                i++;
                            } else {
                                closed = true;
                                break;
                            }
                        } else {
                            field.append(ch);
                        }
                    }
                    if (!closed) {
                        throw error("line " + lineNo + " column " + column + ": the quote opened at character " + (open + 1)
                                + " is not closed on this line");
                    }
                    while (i < n && line.charAt(i) != delim && Character.isWhitespace(line.charAt(i))) {
                        i++;
                    }
                    if (i < n && line.charAt(i) != delim) {
                        throw error("line " + lineNo + " column " + column + ": unexpected " + describe(line.charAt(i))
                                + " after the closing quote (character " + (i + 1) + ")");
                    }
                    fields.add(field.toString());
                } else {
                    i = start;
                    while (i < n && line.charAt(i) != delim) {
                        i++;
                    }
                    fields.add(line.substring(start, i).strip());
                }
                if (i >= n) {
                    return;
                }
                i++; // the delimiter; a line ending in one has an empty last field
            }
        }

        private IOException error(String what) {
            return new IOException("Csv.read: " + source + " " + what);
        }
    }
}
