package dev.tasklane.postgres;

import dev.tasklane.spi.LeaderElection;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election by a session-level advisory lock: the node whose connection holds {@code
 * pg_try_advisory_lock(key)} leads. The key is derived from the schema name, so clusters on
 * separate schemas of one database elect separate leaders.
 *
 * <h2>How</h2>
 *
 * The lock lives as long as the session that took it, so the election keeps a connection of its
 * own (not from the pool). {@link #tryLead()}:
 *
 * <ul>
 *   <li>when it holds the lock, checks that the connection still answers ({@link
 *       Connection#isValid}): a session that died took the lock with it, and another node may lead
 *       by now, so a dead connection is dropped and the lock tried again on a new one;
 *   <li>when it does not, opens a connection if it has none and tries the lock once. The lock is
 *       never taken twice on one session: PostgreSQL stacks advisory locks, and a stacked lock
 *       would need as many unlocks.
 * </ul>
 *
 * <p>The session runs with {@code idle_session_timeout} set to the leader timeout, so a leader that
 * is frozen rather than dead (its process stopped, its socket still open) loses its session, and
 * with it the lead, once it has been silent that long.
 *
 * <p>Any database failure ends in "not leading" (a leader that cannot reach the database must not act
 * as one) and a fresh connection at the next try. Closing the connection, or the death of the
 * process, releases the lock, and the next {@link #tryLead()} of another node takes it.
 *
 * <p>Thread-safe; each call holds a lock for at most one or two short round trips, bounded by a
 * network timeout on the connection.
 */
final class AdvisoryLockElection implements LeaderElection {
  private static final Logger LOG = LoggerFactory.getLogger(AdvisoryLockElection.class);

  /** The {@code application_name} of the election's connection. */
  static final String APPLICATION_NAME = "tasklane-leader";

  /** The longest any statement of the election may take before its connection is given up. */
  static final Duration NETWORK_TIMEOUT = Duration.ofSeconds(5);

  private final DataSource connections;
  private final Duration sessionTimeout;
  private final long key;
  private final String nodeId;
  private final Consumer<? super AdvisoryLockElection> onClose;
  private final ReentrantLock lock = new ReentrantLock();

  private Connection connection; // guarded by lock
  private boolean leading; // guarded by lock
  private boolean closed; // guarded by lock

  /**
   * @param connections plain (unpooled) connections
   * @param onClose called once when the election closes (the store forgets it)
   */
  AdvisoryLockElection(
      DataSource connections,
      String schema,
      String nodeId,
      Duration sessionTimeout,
      Consumer<? super AdvisoryLockElection> onClose) {
    this.connections = connections;
    this.sessionTimeout = sessionTimeout;
    this.key = lockKey(schema);
    this.nodeId = nodeId;
    this.onClose = onClose;
  }

  /** The advisory lock key of {@code schema}'s leader (see {@link AdvisoryLockKey}). */
  static long lockKey(String schema) {
    return AdvisoryLockKey.of("tasklane.leader:" + schema);
  }


  @Override
  public boolean tryLead() {
    lock.lock();
    try {
      if (closed) {
        return false;
      }
      boolean was = leading;
      try {
        if (leading && !connection.isValid((int) NETWORK_TIMEOUT.toSeconds())) {
          // The session is gone, and the lock with it: another node may lead already.
          leading = false;
          discardConnection();
        }
        if (!leading) {
          if (connection == null) {
            connection = open();
          }
          leading = tryLock(connection);
        }
      } catch (SQLException e) {
        LOG.debug("leader election of node {} failed; not leading", nodeId, e);
        leading = false;
        discardConnection();
      }
      if (leading != was) {
        LOG.info(
            leading ? "node {} leads its cluster" : "node {} lost the lead of its cluster", nodeId);
      }
      return leading;
    } finally {
      lock.unlock();
    }
  }

  /** Gives up the lead (unlocking, then closing the connection). Idempotent. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      if (leading) {
        unlock();
        leading = false;
        LOG.info("node {} gave up the lead of its cluster", nodeId);
      }
      discardConnection();
    } finally {
      lock.unlock();
    }
    onClose.accept(this);
  }

  @Override
  public String toString() {
    return "AdvisoryLockElection[node " + nodeId + ", key " + key + "]";
  }

  // ---------------------------------------------------------------- guarded by lock

  private Connection open() throws SQLException {
    Connection c = connections.getConnection();
    try {
      c.setAutoCommit(true); // the lock is session-level: no transaction needs to stay open
      c.setClientInfo("ApplicationName", APPLICATION_NAME);
      // Bounds every later statement, so tryLead() cannot hang on a silent network.
      c.setNetworkTimeout(Runnable::run, (int) NETWORK_TIMEOUT.toMillis());
      // A leader that stops confirming its lead (frozen by SIGSTOP, a long pause) keeps its
      // session open and so its lock: the server ends a session that stays idle this long,
      // which frees the lock for another node. A live leader's tryLead() keeps it busy.
      try (Statement st = c.createStatement()) {
        st.execute("SET idle_session_timeout = " + sessionTimeout.toMillis());
      }
      return c;
    } catch (SQLException | RuntimeException e) {
      try {
        c.close();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private boolean tryLock(Connection c) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
      st.setLong(1, key);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /** Unlocks explicitly, so the lock is free even before the server has noticed the close. */
  private void unlock() {
    try (PreparedStatement st = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
      st.setLong(1, key);
      st.execute();
    } catch (SQLException e) {
      LOG.debug("unlocking the leader lock failed; closing the connection releases it", e);
    }
  }

  private void discardConnection() {
    if (connection == null) {
      return;
    }
    try {
      connection.close();
    } catch (SQLException e) {
      LOG.debug("closing the election's connection failed", e);
    } finally {
      connection = null;
    }
  }
}
