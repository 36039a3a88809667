package dev.tasklane.postgres;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscription to the work channel of a schema: a connection of its own (not from the pool)
 * that {@code LISTEN}s, and a platform thread, {@value #THREAD_NAME}, that waits for notifications
 * and calls the subscriber for each batch of them.
 *
 * <h2>How</h2>
 *
 * The driver cannot receive notifications asynchronously: the thread blocks in {@link
 * PGConnection#getNotifications(int)} for up to {@link #WAIT}, which returns as soon as a
 * notification arrives. When a wait ends with nothing, the connection is checked with {@link
 * Connection#isValid}, so a connection that died silently (a network partition, not a reset) is
 * noticed within a wait or two.
 *
 * <p>On any failure the connection is dropped and a new one tried after a backoff of {@link
 * #MIN_BACKOFF}, doubling up to {@link #MAX_BACKOFF}. Notifications sent while no connection
 * listened are lost, so the subscriber is called once after each reconnection: work may be
 * waiting.
 *
 * <p>{@link #close()} aborts the connection, which ends a blocked wait at once, and joins the
 * thread. The subscriber's exceptions are logged and never end the subscription.
 */
final class WorkListener implements AutoCloseable {
  /** The name of the listening thread. */
  static final String THREAD_NAME = "tasklane-listen";

  /** The longest a wait for notifications lasts before the connection is checked. */
  static final Duration WAIT = Duration.ofSeconds(10);

  /** The first wait before reconnecting after a failure. */
  static final Duration MIN_BACKOFF = Duration.ofMillis(100);

  /** The longest wait before reconnecting. */
  static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  private static final Logger LOG = LoggerFactory.getLogger(WorkListener.class);
  private static final String CHANNEL_PREFIX = "tasklane_work_";

  /** PostgreSQL refuses channel names longer than this (NAMEDATALEN - 1 bytes). */
  private static final int MAX_CHANNEL_BYTES = 63;

  private static final int VALIDATION_TIMEOUT_SECONDS = 5;

  /** Marks a notification about a queue's settings (pause, resume) rather than its work. */
  static final String SETTINGS_PREFIX = "!";

  private final DataSource connections;
  private final String channel;
  private final dev.tasklane.spi.WorkSignal onWork;
  private final Consumer<? super WorkListener> onClose;
  private final Thread thread;

  private volatile boolean closed;

  /** The listening connection, for {@link #close()} to abort; null between connections. */
  private volatile Connection current;

  private WorkListener(
      DataSource connections,
      String channel,
      dev.tasklane.spi.WorkSignal onWork,
      Consumer<? super WorkListener> onClose,
      Connection first) {
    this.connections = connections;
    this.channel = channel;
    this.onWork = onWork;
    this.onClose = onClose;
    this.current = first;
    this.thread =
        Thread.ofPlatform().name(THREAD_NAME).daemon(true).unstarted(() -> run(first));
  }

  /**
   * Starts listening on {@code channel}. The first connection is made before this returns, so
   * every notification committed afterwards reaches {@code onWork}; if it cannot be made, the
   * thread keeps trying and calls {@code onWork} once it has succeeded.
   *
   * @param onClose called once when the listener closes (the store forgets it)
   */
  static WorkListener start(
      DataSource connections,
      String channel,
      dev.tasklane.spi.WorkSignal onWork,
      Consumer<? super WorkListener> onClose) {
    Objects.requireNonNull(onWork, "onWork");
    Connection first = null;
    try {
      first = listen(connections, channel);
    } catch (SQLException e) {
      LOG.warn("cannot LISTEN on {} yet ({}); retrying in the background", channel, e.getMessage());
    }
    WorkListener listener = new WorkListener(connections, channel, onWork, onClose, first);
    listener.thread.start();
    return listener;
  }

  /**
   * The channel of {@code schema}, as the schema's ready trigger names it: {@code
   * tasklane_work_<schema>}, or {@code tasklane_work_<md5 of schema>} when that would be longer
   * than PostgreSQL allows.
   */
  static String channel(String schema) {
    String plain = CHANNEL_PREFIX + schema;
    if (plain.getBytes(StandardCharsets.UTF_8).length <= MAX_CHANNEL_BYTES) {
      return plain;
    }
    try {
      byte[] md5 =
          MessageDigest.getInstance("MD5").digest(schema.getBytes(StandardCharsets.UTF_8));
      return CHANNEL_PREFIX + HexFormat.of().formatHex(md5);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has MD5", e);
    }
  }

  /** The backend process id of the listening connection, or -1 between connections (tests). */
  int backendPid() {
    Connection c = current;
    try {
      return c == null ? -1 : c.unwrap(PGConnection.class).getBackendPID();
    } catch (SQLException e) {
      return -1;
    }
  }

  /** Stops listening: aborts the connection and waits for the thread to end. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      abort(current);
      thread.interrupt(); // ends a backoff sleep
      thread.join(WAIT.toMillis());
      if (thread.isAlive()) {
        LOG.warn(
            "the {} thread did not stop in time; it is a daemon and ends with the JVM",
            THREAD_NAME);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      onClose.accept(this);
    }
  }

  @Override
  public String toString() {
    return "WorkListener[" + channel + (closed ? ", closed" : "") + "]";
  }

  // ---------------------------------------------------------------- the thread

  private void run(Connection first) {
    Connection c = first;
    boolean missedWork = first == null;
    long backoffMillis = MIN_BACKOFF.toMillis();
    boolean failing = false;
    while (!closed) {
      try {
        if (c == null) {
          c = listen(connections, channel);
          current = c;
          if (closed) {
            break; // close() may have looked at current before it was set
          }
          LOG.info("listening on {}", channel);
          backoffMillis = MIN_BACKOFF.toMillis();
          failing = false;
        }
        if (missedWork) {
          missedWork = false;
          // Anything may have happened while it was away: name no queue, and say settings changed.
          deliver(java.util.Set.of(), true);
        }
        waitForNotifications(c);
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          break;
        }
        if (!failing) {
          LOG.warn("lost the LISTEN connection on {}; reconnecting", channel, e);
        } else {
          LOG.debug("reconnecting the LISTEN connection on {} failed", channel, e);
        }
        failing = true;
        missedWork = true;
        current = null;
        closeQuietly(c);
        c = null;
        if (!sleep(backoffMillis)) {
          break;
        }
        backoffMillis = Math.min(backoffMillis * 2, MAX_BACKOFF.toMillis());
      }
    }
    current = null;
    closeQuietly(c);
  }

  /** Waits for notifications until the connection fails or the listener closes. */
  private void waitForNotifications(Connection c) throws SQLException {
    PGConnection pg = c.unwrap(PGConnection.class);
    while (!closed) {
      PGNotification[] received = pg.getNotifications((int) WAIT.toMillis());
      if (received != null && received.length > 0) {
        // One call per batch, naming its queues. A payload starting with '!' (which no queue name
        // holds) is a pause or resume of the queue after it (trigger queue_paused_notify).
        java.util.Set<String> queues = new java.util.HashSet<>();
        boolean settingsChanged = false;
        for (PGNotification n : received) {
          String queue = n.getParameter();
          if (queue.startsWith(SETTINGS_PREFIX)) {
            settingsChanged = true;
            queue = queue.substring(SETTINGS_PREFIX.length());
          }
          if (!queue.isEmpty()) {
            queues.add(queue);
          }
        }
        deliver(queues, settingsChanged);
      } else if (!closed && !c.isValid(VALIDATION_TIMEOUT_SECONDS)) {
        throw new SQLException("the LISTEN connection no longer answers");
      }
    }
  }

  private void deliver(java.util.Set<String> queues, boolean settingsChanged) {
    try {
      onWork.workMayBeReady(java.util.Set.copyOf(queues), settingsChanged);
    } catch (RuntimeException e) {
      LOG.warn("a work subscriber failed; the subscription goes on", e);
    }
  }

  /** Sleeps; false if interrupted (by {@link #close()}). */
  private static boolean sleep(long millis) {
    try {
      Thread.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  // ---------------------------------------------------------------- connections

  /** A new connection, in auto-commit mode, listening on {@code channel}. */
  private static Connection listen(DataSource connections, String channel) throws SQLException {
    Connection c = connections.getConnection();
    try {
      // getNotifications only reads from the socket while no transaction is open.
      c.setAutoCommit(true);
      c.setClientInfo("ApplicationName", THREAD_NAME);
      try (Statement st = c.createStatement()) {
        // The channel is made of the prefix and a checked schema name (or an md5): quoting it is
        // safe and keeps its case.
        st.execute("LISTEN \"" + channel + "\"");
      }
      return c;
    } catch (SQLException | RuntimeException e) {
      closeQuietly(c);
      throw e;
    }
  }

  /** Closes the socket under a blocked read at once, without waiting for the driver's lock. */
  private static void abort(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.abort(Runnable::run);
    } catch (SQLException | RuntimeException e) {
      LOG.debug("aborting the LISTEN connection failed", e);
    }
  }

  private static void closeQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException | RuntimeException e) {
      LOG.debug("closing the LISTEN connection failed", e);
    }
  }
}
