package dev.tasklane.sqlite;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Keeps the writer connection's prepared statements for reuse.
 *
 * <p>Why: the SQLite driver compiles a statement on every {@code prepareStatement}, and compiling
 * an {@code UPDATE} of the task table (its CHECK constraints and every index it maintains) costs
 * more than running it. Profiles of the drain benchmark showed more time in {@code prepare} than in
 * {@code step}. PostgreSQL's driver has a cache of its own; SQLite's has none, so the store's
 * single writer connection gets this one.
 *
 * <p>How: {@link #wrap} returns a proxy of the connection whose {@code prepareStatement(String)}
 * hands out a statement compiled earlier for the same SQL when one is idle. Closing such a
 * statement returns it to the cache (with its parameters cleared) instead of finalizing it, so
 * callers keep the usual try-with-resources shape. A statement is handed to one caller at a time:
 * preparing SQL whose statements are all in use (one statement used inside another's result loop)
 * compiles another one. Closing the connection finalizes every cached statement.
 *
 * <p>Not thread-safe; the writer connection is used under the runner's write lock.
 */
final class StatementCache implements InvocationHandler {
  private final Connection connection;
  private final Map<String, Deque<PreparedStatement>> idle = new HashMap<>();

  private StatementCache(Connection connection) {
    this.connection = connection;
  }

  /** A proxy of {@code connection} that reuses its prepared statements. */
  static Connection wrap(Connection connection) {
    return (Connection)
        Proxy.newProxyInstance(
            StatementCache.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            new StatementCache(connection));
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    String name = method.getName();
    if (name.equals("prepareStatement") && args != null && args.length == 1) {
      return borrow((String) args[0]);
    }
    if (name.equals("close") && method.getParameterCount() == 0) {
      closeAll();
    }
    return forward(connection, method, args);
  }

  private PreparedStatement borrow(String sql) throws SQLException {
    Deque<PreparedStatement> free = idle.get(sql);
    PreparedStatement st = free == null ? null : free.poll();
    if (st == null || st.isClosed()) {
      st = connection.prepareStatement(sql);
    }
    PreparedStatement target = st;
    return (PreparedStatement)
        Proxy.newProxyInstance(
            StatementCache.class.getClassLoader(),
            new Class<?>[] {PreparedStatement.class},
            (p, m, a) -> {
              if (m.getName().equals("close") && m.getParameterCount() == 0) {
                giveBack(sql, target);
                return null;
              }
              return forward(target, m, a);
            });
  }

  /** Returns a statement to the cache, or finalizes it if it cannot be reset. */
  private void giveBack(String sql, PreparedStatement st) throws SQLException {
    if (st.isClosed()) {
      return;
    }
    try {
      st.clearParameters();
    } catch (SQLException e) {
      st.close();
      throw e;
    }
    idle.computeIfAbsent(sql, k -> new ArrayDeque<>(1)).push(st);
  }

  private void closeAll() {
    for (Deque<PreparedStatement> statements : idle.values()) {
      for (PreparedStatement st : statements) {
        try {
          st.close();
        } catch (SQLException e) {
          // The connection is closing; its close finalizes whatever is left.
        }
      }
    }
    idle.clear();
  }

  private static Object forward(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
