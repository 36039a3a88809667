package dev.tasklane.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tasklane.postgres.PostgresOptions;
import dev.tasklane.postgres.PostgresTaskStore;
import dev.tasklane.spi.TaskStore;
import dev.tasklane.sqlite.SqliteTaskStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * A database of its own for one scenario run: a new SQLite file in a temporary directory, or a new
 * PostgreSQL schema. {@link #close()} closes every store opened on it, then deletes the directory
 * or drops the schema, so runs never see each other's tasks.
 */
abstract sealed class FreshDatabase implements AutoCloseable {
  private final List<TaskStore> opened = new ArrayList<>();
  private final List<HikariDataSource> peerPools = new ArrayList<>();

  /** A fresh database of the configured store, its name hinting at {@code label}. */
  static FreshDatabase create(BenchConfig config, String label) {
    return switch (config.store()) {
      case SQLITE -> new Sqlite(label);
      case POSTGRES -> new Postgres(config, label);
    };
  }

  /**
   * Opens a store on this database, creating its tables the first time. On PostgreSQL every call
   * gives another node (its own pool, listener and leader election); SQLite allows one.
   *
   * @throws IllegalStateException on SQLite, when a store is already open
   */
  final synchronized TaskStore open() {
    TaskStore store = openStore();
    opened.add(store);
    return store;
  }

  /**
   * A connection pool of {@code poolSize} on this database for a peer measured beside Tasklane,
   * closed with the database; on PostgreSQL its connections work in this run's schema.
   *
   * @throws UnsupportedOperationException where no peer runs (SQLite)
   */
  final synchronized DataSource peerDataSource(int poolSize) {
    HikariDataSource ds = openPeerDataSource(poolSize);
    peerPools.add(ds);
    return ds;
  }

  abstract HikariDataSource openPeerDataSource(int poolSize);

  /** True if {@link #open()} may be called again for a second node on the same tasks. */
  abstract boolean allowsSecondNode();

  abstract TaskStore openStore();

  /** Deletes the file or drops the schema; stores are closed by then. */
  abstract void discard();

  @Override
  public final synchronized void close() {
    RuntimeException failure = null;
    for (TaskStore store : opened.reversed()) {
      try {
        store.close();
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    opened.clear();
    peerPools.forEach(HikariDataSource::close);
    peerPools.clear();
    discard();
    if (failure != null) {
      throw failure;
    }
  }

  /** A new SQLite file in a new temporary directory. */
  static final class Sqlite extends FreshDatabase {
    private final Path dir;

    Sqlite(String label) {
      try {
        dir = Files.createTempDirectory("tasklane-bench-" + label + "-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    boolean allowsSecondNode() {
      return false;
    }

    @Override
    TaskStore openStore() {
      return SqliteTaskStore.open(dir.resolve("bench.db"));
    }

    @Override
    HikariDataSource openPeerDataSource(int poolSize) {
      throw new UnsupportedOperationException("peers are measured on PostgreSQL only");
    }

    @Override
    void discard() {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete the benchmark database in " + dir, e);
      }
    }
  }

  /** A new schema on the configured PostgreSQL database, created by the first store opened. */
  static final class Postgres extends FreshDatabase {
    private final BenchConfig config;
    private final String schema;

    Postgres(BenchConfig config, String label) {
      this.config = config;
      String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
      this.schema = "tl_bench_" + label.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "_") + "_" + suffix;
    }

    @Override
    boolean allowsSecondNode() {
      return true;
    }

    @Override
    TaskStore openStore() {
      return PostgresTaskStore.open(
          PostgresOptions.of(config.dbUrl()).withSchema(schema).withPoolSize(config.dbPoolSize()));
    }

    @Override
    HikariDataSource openPeerDataSource(int poolSize) {
      try (Connection c = DriverManager.getConnection(config.dbUrl());
          Statement st = c.createStatement()) {
        st.execute("CREATE SCHEMA IF NOT EXISTS \"" + schema + "\"");
      } catch (SQLException e) {
        throw new BenchException("cannot create the benchmark schema " + schema + ": " + e.getMessage(), e);
      }
      HikariConfig hc = new HikariConfig();
      hc.setJdbcUrl(config.dbUrl());
      hc.setSchema(schema);
      hc.setMaximumPoolSize(poolSize);
      hc.setPoolName("bench-peer-" + schema);
      return new HikariDataSource(hc);
    }

    @Override
    void discard() {
      try (Connection c = DriverManager.getConnection(config.dbUrl());
          Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
      } catch (SQLException e) {
        throw new BenchException("cannot drop the benchmark schema " + schema + ": " + e.getMessage(), e);
      }
    }
  }
}
