package dev.tasklane.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import java.util.List;

/**
 * A store that keeps pools of connections, exposed so that an application can watch them: bind
 * them to its metrics ({@link HikariDataSource#setMetricRegistry}, once per pool), or read their
 * MXBeans. The store owns the pools: do not close them or change their configuration.
 */
public interface ConnectionPools {
  /** The store's connection pools, in no particular order. */
  List<HikariDataSource> connectionPools();
}
