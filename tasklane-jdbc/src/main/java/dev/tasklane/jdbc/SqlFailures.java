package dev.tasklane.jdbc;

import dev.tasklane.StoreException;
import java.sql.SQLException;
import java.sql.SQLTransientException;

/** Turns a {@link SQLException} into the {@link StoreException} a store method throws. */
public final class SqlFailures {
  private SqlFailures() {}

  /**
   * The store's exception for {@code e}, marked {@link StoreException#unavailable() unavailable}
   * when the database could not be reached or did not answer in time.
   */
  public static StoreException storeException(String operation, SQLException e) {
    return new StoreException(operation, e, unavailable(e));
  }

  /**
   * True for failures of the connection rather than of the statement: SQLState class 08
   * (connection exception: refused, broken, timed out on the socket), 57P (the server shutting
   * down or restarting), 53300 (too many connections), the driver's or pool's transient
   * exceptions (a pool with no connection to lend in time, a statement timeout), class 40 (the
   * transaction was rolled back by a deadlock or a serialization failure: trying again succeeds),
   * and SQLite's busy, locked, I/O and full-disk errors.
   */
  public static boolean unavailable(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientException) {
        return true;
      }
      if (t instanceof SQLException sql && sqliteUnavailable(sql)) {
        return true;
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        if (state.startsWith("08")
            || state.startsWith("57P")
            || state.equals("53300")
            || state.startsWith("40")) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * True for a foreign key that found no row (SQLState 23503; SQLite's FOREIGNKEY constraint): a
   * task naming a queue whose row another node deleted.
   */
  public static boolean foreignKeyViolation(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql
          && ("23503".equals(sql.getSQLState())
              || String.valueOf(sql.getMessage()).contains("FOREIGNKEY"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * SQLite's result codes for a database that is there but cannot be used now: another process
   * holds its lock past the busy timeout (BUSY 5, LOCKED 6), an I/O error (IOERR 10), a full disk
   * (FULL 13). sqlite-jdbc reports them as the exception's error code.
   */
  private static boolean sqliteUnavailable(SQLException e) {
    if (!e.getClass().getName().startsWith("org.sqlite.")) {
      return false;
    }
    int primary = e.getErrorCode() & 0xff;
    return primary == 5 || primary == 6 || primary == 10 || primary == 13;
  }
}
