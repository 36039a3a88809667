package dev.tasklane.bench;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Collectors;

/**
 * What the figures were measured on, printed once above the table.
 *
 * @param cores processors the JVM sees
 * @param maxHeapBytes the heap's limit ({@code -Xmx} or the JVM's default)
 * @param gc the garbage collector, e.g. {@code G1}
 * @param jdk runtime version and vendor
 * @param os operating system, version and architecture
 * @param store which store
 * @param storeVersion the store's own version, e.g. {@code SQLite 3.50.4}
 */
public record MachineFacts(
    int cores, long maxHeapBytes, String gc, String jdk, String os, StoreKind store, String storeVersion) {

  /**
   * Looks at this JVM and asks the store for its version: which also checks, before any scenario
   * starts, that a PostgreSQL server answers at the configured URL.
   *
   * @throws BenchException if the database cannot be reached
   */
  public static MachineFacts probe(BenchConfig config) {
    Runtime rt = Runtime.getRuntime();
    String gc =
        ManagementFactory.getGarbageCollectorMXBeans().stream()
            .map(GarbageCollectorMXBean::getName)
            // "G1 Young Generation", "G1 Old Generation"... -> "G1"
            .map(name -> name.split(" ", 2)[0])
            .distinct()
            .collect(Collectors.joining(", "));
    return new MachineFacts(
        rt.availableProcessors(),
        rt.maxMemory(),
        gc,
        System.getProperty("java.runtime.version") + " (" + System.getProperty("java.vendor") + ")",
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
        config.store(),
        storeVersion(config));
  }

  private static String storeVersion(BenchConfig config) {
    return switch (config.store()) {
      case SQLITE -> "SQLite " + query("jdbc:sqlite::memory:", "SELECT sqlite_version()", "SQLite");
      case POSTGRES -> "PostgreSQL " + query(config.dbUrl(), "SHOW server_version", config.dbLocation());
    };
  }

  private static String query(String url, String sql, String where) {
    try (Connection c = DriverManager.getConnection(url);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      throw new BenchException(
          "cannot reach the database at "
              + where
              + " ("
              + e.getMessage()
              + "). Is PostgreSQL running? On a development machine: pg_ctlcluster"
              + " --skip-systemctl-redirect $(ls /etc/postgresql) main start; or pass --db-url.",
          e);
    }
  }
}
