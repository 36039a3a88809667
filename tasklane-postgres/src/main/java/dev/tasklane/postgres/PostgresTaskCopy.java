package dev.tasklane.postgres;

import dev.tasklane.jdbc.BulkTaskCopy;
import dev.tasklane.spi.NewTask;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * New tasks through {@code COPY task (...) FROM STDIN} in text format: the server parses each row's
 * fields directly, with no statement to plan and no JSON array to unpack, and the client sends the
 * rows in 64 KiB pieces as it encodes them, so a batch of millions needs no more client memory than
 * one piece. Runs inside the caller's transaction: if anything fails, the COPY's rows go with it.
 *
 * <p>Text format: fields separated by tabs, rows by newlines, {@code \N} for NULL, and a backslash
 * escapes a backslash, tab, newline or carriage return inside a value. Times travel as ISO-8601
 * instants truncated to milliseconds, as {@link PostgresDialect} binds them.
 */
final class PostgresTaskCopy implements BulkTaskCopy {
  private static final int PIECE = 64 * 1024;

  private final String sql;

  PostgresTaskCopy(String schema) {
    this.sql =
        "COPY \""
            + schema
            + "\".task (id, type, queue, payload, priority, state, max_attempts, run_at, timeout_ms,"
            + " created_at, idempotency_key, submitted_by) FROM STDIN";
  }

  /**
   * False for text holding a lone surrogate, which UTF-8 cannot carry: the encoder would send
   * {@code ?} in its place, and the task the store answers with would not be the one stored.
   */
  @Override
  public boolean copiesExactly(NewTask t) {
    return encodable(t.type())
        && encodable(t.queue())
        && encodable(t.payload())
        && encodable(t.idempotencyKey())
        && encodable(t.submittedBy());
  }

  private static boolean encodable(String s) {
    if (s == null) {
      return true;
    }
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(ch)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public long copy(Connection c, Iterator<NewTask> tasks, Consumer<NewTask> each) throws SQLException {
    CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
    try {
      Rows rows = new Rows();
      while (tasks.hasNext()) {
        NewTask t = tasks.next();
        each.accept(t);
        rows.add(t);
        if (rows.size() >= PIECE) {
          copy.writeToCopy(rows.bytes(), 0, rows.size());
          rows.reset();
        }
      }
      if (rows.size() > 0) {
        copy.writeToCopy(rows.bytes(), 0, rows.size());
      }
      return copy.endCopy();
    } catch (SQLException | RuntimeException | Error e) {
      if (copy.isActive()) {
        // Something failed mid-way: end the COPY so the connection can roll back and be reused.
        try {
          copy.cancelCopy();
        } catch (SQLException cancel) {
          e.addSuppressed(cancel);
        }
      }
      throw e;
    }
  }

  /** A growing buffer of encoded rows. */
  private static final class Rows extends ByteArrayOutputStream {
    Rows() {
      super(PIECE + 4096);
    }

    byte[] bytes() {
      return buf;
    }

    void add(NewTask t) {
      plain(t.id().toString());
      tab();
      text(t.type());
      tab();
      text(t.queue());
      tab();
      text(t.payload());
      tab();
      plain(Integer.toString(t.priority()));
      tab();
      plain(t.state().apiName());
      tab();
      plain(Integer.toString(t.maxAttempts()));
      tab();
      instant(t.runAt());
      tab();
      Duration timeout = t.timeout();
      if (timeout == null) {
        nul();
      } else {
        long millis = timeout.toMillis();
        plain(Long.toString(timeout.minusMillis(millis).isZero() ? millis : millis + 1));
      }
      tab();
      instant(t.createdAt());
      tab();
      text(t.idempotencyKey());
      tab();
      text(t.submittedBy());
      write('\n');
    }

    private void tab() {
      write('\t');
    }

    private void nul() {
      write('\\');
      write('N');
    }

    private void instant(Instant value) {
      plain(value.truncatedTo(ChronoUnit.MILLIS).toString());
    }

    /** A value that needs no escaping (digits, a uuid, a state name, an ISO instant). */
    private void plain(String value) {
      byte[] b = value.getBytes(StandardCharsets.US_ASCII);
      write(b, 0, b.length);
    }

    /** Any text, escaped for COPY's text format; {@code null} as NULL. */
    private void text(String value) {
      if (value == null) {
        nul();
        return;
      }
      int start = 0;
      for (int i = 0; i < value.length(); i++) {
        char ch = value.charAt(i);
        char escaped =
            switch (ch) {
              case '\\' -> '\\';
              case '\t' -> 't';
              case '\n' -> 'n';
              case '\r' -> 'r';
              default -> 0;
            };
        if (escaped != 0) {
          utf8(value, start, i);
          write('\\');
          write(escaped);
          start = i + 1;
        }
      }
      utf8(value, start, value.length());
    }

    private void utf8(String value, int from, int to) {
      if (from < to) {
        byte[] b = value.substring(from, to).getBytes(StandardCharsets.UTF_8);
        write(b, 0, b.length);
      }
    }
  }
}
