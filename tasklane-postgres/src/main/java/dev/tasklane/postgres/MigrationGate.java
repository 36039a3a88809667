package dev.tasklane.postgres;

import dev.tasklane.StoreException;
import dev.tasklane.jdbc.SchemaMigrator;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the store's schema up to date exactly once: when the store opens, if the database
 * answers; otherwise before the first statement that needs it. A node may so start while its
 * database is down and begin working as soon as the database is back.
 *
 * <h2>Before migrating</h2>
 *
 * <ul>
 *   <li>The server's version is checked: below {@value #MINIMUM_VERSION_NAME} the store refuses to
 *       go on with a message that says what it needs ({@code idle_session_timeout}, which makes a
 *       frozen leader give up the lead, came with PostgreSQL 14).
 *   <li>A session-level advisory lock keyed by the schema serialises migrations across processes.
 *       Without it, nodes started together on a fresh database race in Flyway's own first steps
 *       (creating the schema, then its history table, then baselining): one node finds the table
 *       its neighbour just created still empty and fails with "Unable to baseline schema history
 *       table". With it, the first node migrates and the others find the schema up to date.
 * </ul>
 *
 * <p>Thread-safe. After the migration succeeded, {@link #ensureMigrated()} costs one volatile read.
 */
final class MigrationGate {
  private static final Logger LOG = LoggerFactory.getLogger(MigrationGate.class);

  /** The oldest PostgreSQL release Tasklane runs on, as {@code server_version_num} counts. */
  static final int MINIMUM_VERSION = 140_000;

  /** The same, as people write it. */
  static final String MINIMUM_VERSION_NAME = "14";

  private final DataSource connections;
  private final PostgresDialect dialect;
  private final int minimumVersion;
  private final ReentrantLock lock = new ReentrantLock();
  private volatile boolean migrated;

  /**
   * @param connections plain (unpooled) connections; the migration opens and closes its own
   */
  MigrationGate(DataSource connections, PostgresDialect dialect) {
    this(connections, dialect, MINIMUM_VERSION);
  }

  /** With another minimum version: tests check the refusal against the real server. */
  MigrationGate(DataSource connections, PostgresDialect dialect, int minimumVersion) {
    this.connections = connections;
    this.dialect = dialect;
    this.minimumVersion = minimumVersion;
  }

  /**
   * Migrates now if the database can be reached, else leaves it for later (and says so in the
   * log).
   *
   * @return whether the schema is up to date
   * @throws StoreException if the database answers but is too old or the migration fails
   */
  boolean migrateIfReachable() {
    try {
      connections.getConnection().close();
      // Reachable: a failure from here on is a real migration problem, reported to the caller.
    } catch (SQLException e) {
      LOG.warn(
          "PostgreSQL cannot be reached ({}); schema '{}' will be migrated once it can",
          e.getMessage(),
          dialect.schema());
      return false;
    }
    ensureMigrated();
    return true;
  }

  /**
   * Returns at once if the schema is up to date, else checks the server and migrates it.
   *
   * @throws StoreException naming operation {@code migrate} if the database cannot be reached, is
   *     older than {@value #MINIMUM_VERSION_NAME}, or the migration fails
   */
  void ensureMigrated() {
    if (migrated) {
      return;
    }
    lock.lock();
    try {
      if (!migrated) {
        migrateUnderLock();
        migrated = true;
      }
    } finally {
      lock.unlock();
    }
  }

  private void migrateUnderLock() {
    try (Connection c = connections.getConnection()) {
      c.setAutoCommit(true);
      requireSupportedVersion(c);
      long key = lockKey(dialect.schema());
      try (PreparedStatement st = c.prepareStatement("SELECT pg_advisory_lock(?)")) {
        st.setLong(1, key);
        st.execute();
      }
      try {
        SchemaMigrator.migrate(connections, dialect, dialect.schema());
      } finally {
        try (PreparedStatement st = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
          st.setLong(1, key);
          st.execute();
        } catch (SQLException e) {
          LOG.debug("unlocking the migration lock failed; closing the connection releases it", e);
        }
      }
    } catch (SQLException e) {
      throw new StoreException("migrate", e, true);
    }
  }

  private void requireSupportedVersion(Connection c) throws SQLException {
    int version;
    String name;
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT current_setting('server_version_num')::int, current_setting('server_version')")) {
      rs.next();
      version = rs.getInt(1);
      name = rs.getString(2);
    }
    if (version < minimumVersion) {
      throw new StoreException(
          "migrate",
          new IllegalStateException(
              "PostgreSQL "
                  + name
                  + " is too old: Tasklane needs PostgreSQL "
                  + (minimumVersion == MINIMUM_VERSION ? MINIMUM_VERSION_NAME : minimumVersion)
                  + " or newer (it relies on idle_session_timeout, new in 14, so that a frozen"
                  + " leader gives up the lead)"));
    }
  }

  /** The migration lock of {@code schema}. */
  static long lockKey(String schema) {
    return AdvisoryLockKey.of("tasklane.migrate:" + schema);
  }
}
