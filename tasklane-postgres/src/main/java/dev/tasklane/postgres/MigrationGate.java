package dev.tasklane.postgres;

import dev.tasklane.StoreException;
import dev.tasklane.jdbc.SchemaMigrator;
import java.sql.SQLException;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the store's schema up to date exactly once: when the store opens, if the database
 * answers; otherwise before the first statement that needs it. A node may so start while its
 * database is down and begin working as soon as the database is back.
 *
 * <p>Thread-safe. After the migration succeeded, {@link #ensureMigrated()} costs one volatile read.
 * Concurrent nodes migrating the same schema are kept apart by Flyway's own database lock.
 */
final class MigrationGate {
  private static final Logger LOG = LoggerFactory.getLogger(MigrationGate.class);

  private final DataSource connections;
  private final PostgresDialect dialect;
  private final ReentrantLock lock = new ReentrantLock();
  private volatile boolean migrated;

  /**
   * @param connections plain (unpooled) connections; the migration opens and closes its own
   */
  MigrationGate(DataSource connections, PostgresDialect dialect) {
    this.connections = connections;
    this.dialect = dialect;
  }

  /**
   * Migrates now if the database can be reached, else leaves it for later (and says so in the
   * log).
   *
   * @return whether the schema is up to date
   * @throws StoreException if the database answers but the migration fails
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
   * Returns at once if the schema is up to date, else migrates it.
   *
   * @throws StoreException naming operation {@code migrate} if the database cannot be reached or
   *     the migration fails
   */
  void ensureMigrated() {
    if (migrated) {
      return;
    }
    lock.lock();
    try {
      if (!migrated) {
        SchemaMigrator.migrate(connections, dialect, dialect.schema());
        migrated = true;
      }
    } finally {
      lock.unlock();
    }
  }
}
