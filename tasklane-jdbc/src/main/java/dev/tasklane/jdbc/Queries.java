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
 * them; they document each bound column) and a trailing semicolon is dropped. Loading fails at
 * startup, not at the first use of a query, so a dialect missing a statement never ships.
 *
 * <p>Immutable and thread-safe.
 */
public final class Queries {
  private static final Pattern NAME_LINE =
      Pattern.compile("^--\\s*name:\\s*(\\S+)\\s*$", Pattern.MULTILINE);

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
      return parse(resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  /**
   * Parses the text of a query file.
   *
   * @param source where the text came from, for error messages
   * @throws IllegalStateException if the text lacks a query, names an unknown one, names one twice,
   *     or has an empty block
   */
  public static Queries parse(String source, String text) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(text, "text");
    Map<String, String> blocks = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
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

  /** Drops surrounding blank lines and a trailing semicolon; a body of only comments is empty. */
  private static String cleanBody(String raw) {
    String body = raw.strip();
    if (body.endsWith(";")) {
      body = body.substring(0, body.length() - 1).strip();
    }
    boolean onlyComments =
        body.lines().map(String::strip).allMatch(l -> l.isEmpty() || l.startsWith("--"));
    return onlyComments ? "" : body;
  }
}
