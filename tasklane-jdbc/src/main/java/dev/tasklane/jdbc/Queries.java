package dev.tasklane.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SQL of one dialect, one statement per {@link QueryName}, read from the dialect's {@code
 * db/<dialect>/queries.sql}.
 *
 * <p>The file is a sequence of blocks, each starting with a line {@code -- name: <sqlName>}
 * followed by one statement. Comments and blank lines inside a block are kept (databases ignore
 * them; they document each bound column) and the statement's closing semicolon is dropped, also
 * when a comment follows it on the last line. Loading fails at startup, not at the first use of a
 * query, so a dialect missing a statement never ships.
 *
 * <p>A dialect may use {@code ${name}} placeholders, replaced once at load time with the values of
 * {@link SqlDialect#queryPlaceholders()}: the one piece of SQL text ever built at run time, a
 * schema qualifier for table names. A placeholder without a value fails the load.
 *
 * <p>Immutable and thread-safe.
 */
public final class Queries {
  private static final Pattern NAME_LINE =
      Pattern.compile("^--\\s*name:\\s*(\\S+)\\s*$", Pattern.MULTILINE);

  /** A last line ending the statement: code without "--", ";", then maybe a line comment. */
  private static final Pattern CLOSING_SEMICOLON =
      Pattern.compile("((?:(?!--).)*);\\s*((?:--.*)?)");

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9_]+)}");

  private final String source;
  private final Map<QueryName, String> sql;

  private Queries(String source, Map<QueryName, String> sql) {
    this.source = source;
    this.sql = sql;
  }

  /**
   * Loads {@link SqlDialect#queriesResource()} with the dialect's class loader.
   *
   * @throws IllegalStateException if the file is missing, lacks a query, names an unknown one, or
   *     names one twice
   */
  public static Queries load(SqlDialect dialect) {
    String resource = dialect.queriesResource();
    ClassLoader loader = dialect.getClass().getClassLoader();
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "the "
                + dialect.name()
                + " dialect has no query file: "
                + resource
                + " not on the class path");
      }
      return parse(
          resource,
          new String(in.readAllBytes(), StandardCharsets.UTF_8),
          dialect.queryPlaceholders());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  /**
   * Parses the text of a query file that has no placeholders.
   *
   * @param source where the text came from, for error messages
   * @throws IllegalStateException if the text lacks a query, names an unknown one, names one twice,
   *     has an empty block, or uses a placeholder
   */
  public static Queries parse(String source, String text) {
    return parse(source, text, Map.of());
  }

  /**
   * Parses the text of a query file, replacing each {@code ${name}} placeholder with its value (see
   * {@link SqlDialect#queryPlaceholders()}).
   *
   * @param source where the text came from, for error messages
   * @throws IllegalStateException if the text lacks a query, names an unknown one, names one twice,
   *     has an empty block, or uses a placeholder {@code placeholders} has no value for
   */
  public static Queries parse(String source, String text, Map<String, String> placeholders) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(placeholders, "placeholders");
    Map<String, String> blocks = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    TreeSet<String> unresolved = new TreeSet<>();
    text = substitute(text, placeholders, unresolved);
    if (!unresolved.isEmpty()) {
      problems.add("no value for placeholders " + unresolved);
    }
    Matcher m = NAME_LINE.matcher(text);
    String name = null;
    int bodyStart = 0;
    while (true) {
      boolean found = m.find();
      if (name != null) {
        String body = cleanBody(text.substring(bodyStart, found ? m.start() : text.length()));
        if (body.isEmpty()) {
          problems.add("query '" + name + "' has no SQL");
        } else if (blocks.putIfAbsent(name, body) != null) {
          problems.add("query '" + name + "' is defined twice");
        }
      }
      if (!found) {
        break;
      }
      name = m.group(1);
      bodyStart = m.end();
    }

    Map<String, QueryName> known = new LinkedHashMap<>();
    for (QueryName q : QueryName.values()) {
      known.put(q.sqlName(), q);
    }
    TreeSet<String> missing = new TreeSet<>(known.keySet());
    missing.removeAll(blocks.keySet());
    TreeSet<String> unknown = new TreeSet<>(blocks.keySet());
    unknown.removeAll(known.keySet());
    if (!missing.isEmpty()) {
      problems.add("missing queries " + missing);
    }
    if (!unknown.isEmpty()) {
      problems.add(
          "unknown queries " + unknown + " (not in " + QueryName.class.getSimpleName() + ")");
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException(source + ": " + String.join("; ", problems));
    }

    Map<QueryName, String> sql = new EnumMap<>(QueryName.class);
    blocks.forEach((n, body) -> sql.put(known.get(n), body));
    return new Queries(source, sql);
  }

  /** The SQL of {@code query}. */
  public String sql(QueryName query) {
    return sql.get(query);
  }

  @Override
  public String toString() {
    return "Queries[" + source + "]";
  }

  /** Replaces each {@code ${name}} with its value; names without one are added to {@code missing}. */
  private static String substitute(
      String text, Map<String, String> values, TreeSet<String> missing) {
    Matcher m = PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    while (m.find()) {
      String value = values.get(m.group(1));
      if (value == null) {
        missing.add(m.group(1));
        value = m.group();
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * Drops surrounding blank lines and the statement's closing semicolon, also when a comment
   * follows it on the last line ({@code WHERE id = ?;  -- id}): some drivers (PostgreSQL's) take
   * the text after a semicolon for a second statement. A body of only comments is empty.
   */
  private static String cleanBody(String raw) {
    String body = raw.strip();
    int lastLine = body.lastIndexOf('\n') + 1;
    Matcher closing = CLOSING_SEMICOLON.matcher(body.substring(lastLine));
    if (closing.matches()) {
      String comment = closing.group(2).isEmpty() ? "" : "  " + closing.group(2);
      body = (body.substring(0, lastLine) + closing.group(1).stripTrailing() + comment).strip();
    }
    boolean onlyComments =
        body.lines().map(String::strip).allMatch(l -> l.isEmpty() || l.startsWith("--"));
    return onlyComments ? "" : body;
  }
}
