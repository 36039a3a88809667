package dev.tasklane.jdbc;

import static dev.tasklane.jdbc.QueryName.DELETE_RATE_BUCKETS;
import static dev.tasklane.jdbc.QueryName.DELETE_RATE_LIMIT;
import static dev.tasklane.jdbc.QueryName.ENSURE_RATE_BUCKET;
import static dev.tasklane.jdbc.QueryName.FIND_RATE_RESERVATION;
import static dev.tasklane.jdbc.QueryName.LOCK_RATE_BUCKET;
import static dev.tasklane.jdbc.QueryName.PRUNE_RATE_BUCKETS;
import static dev.tasklane.jdbc.QueryName.PRUNE_RATE_RESERVATIONS;
import static dev.tasklane.jdbc.QueryName.SELECT_RATE_LIMITS;
import static dev.tasklane.jdbc.QueryName.TAKE_RATE_RESERVATION;
import static dev.tasklane.jdbc.QueryName.UPDATE_RATE_BUCKET;
import static dev.tasklane.jdbc.QueryName.UPSERT_RATE_LIMIT;

import dev.tasklane.RateLimit;
import dev.tasklane.TaskId;
import dev.tasklane.spi.RateStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@link RateStore} on the database and transactions of a {@link JdbcTaskStore}: the statements are
 * the dialect's ({@link QueryName#SELECT_RATE_LIMITS} onwards), the tables those of {@code
 * V016__rate_limits}. A reservation locks its buckets' rows in (limit, key) order, so two nodes'
 * decisions on one bucket take turns and never deadlock; it commits as claims do ({@link
 * SqlDialect#claimDurability()}): a bucket lost in a database crash could let more starts through.
 *
 * <p>Thread-safe.
 */
final class JdbcRateStore implements RateStore {

  private final SqlDialect dialect;
  private final TransactionRunner transactions;
  private final Queries queries;

  JdbcRateStore(SqlDialect dialect, TransactionRunner transactions, Queries queries) {
    this.dialect = dialect;
    this.transactions = transactions;
    this.queries = queries;
  }

  @Override
  public List<RateLimit> rateLimits() {
    return transactions.read(
        "read rate limits",
        c -> {
          List<RateLimit> out = new ArrayList<>();
          try (PreparedStatement st = c.prepareStatement(queries.sql(SELECT_RATE_LIMITS));
              ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              out.add(
                  new RateLimit(
                      RateLimit.Scope.fromApiName(rs.getString("scope"))
                          .orElseThrow(() -> new SQLException("unknown rate limit scope")),
                      rs.getString("target"),
                      rs.getInt("max_starts"),
                      Duration.ofMillis(rs.getLong("per_ms")),
                      rs.getInt("burst"),
                      rs.getString("key_field")));
            }
          }
          return out;
        });
  }

  @Override
  public void saveRateLimit(RateLimit l) {
    transactions.write(
        "save rate limit",
        c -> {
          // A limit set anew starts from fresh buckets: its old state was for other numbers.
          update(c, DELETE_RATE_BUCKETS, p -> p.text(l.name()));
          return update(
              c,
              UPSERT_RATE_LIMIT,
              p ->
                  p.text(l.scope().apiName())
                      .text(l.target())
                      .integer(l.limit())
                      .bigint(l.per().toMillis())
                      .integer(l.burst())
                      .text(l.keyField()));
        });
  }

  @Override
  public boolean deleteRateLimit(RateLimit.Scope scope, String target) {
    return transactions.write(
        "delete rate limit",
        c -> {
          update(c, DELETE_RATE_BUCKETS, p -> p.text(scope.apiName() + ":" + target));
          return update(c, DELETE_RATE_LIMIT, p -> p.text(scope.apiName()).text(target)) > 0;
        });
  }

  @Override
  public <T> T reserve(Set<Bucket> buckets, Collection<TaskId> tasks, Planner<T> planner) {
    Set<Bucket> ordered = new TreeSet<>(buckets);
    return transactions.write(
        "reserve rate",
        dialect.claimDurability(),
        c -> {
          Map<Bucket, Long> tats = new TreeMap<>();
          for (Bucket b : ordered) {
            update(c, ENSURE_RATE_BUCKET, p -> p.text(b.limit()).text(b.key()));
            tats.put(b, readLong(c, LOCK_RATE_BUCKET, p -> p.text(b.limit()).text(b.key())).orElse(0L));
          }
          Map<TaskId, Long> held = new HashMap<>();
          for (TaskId id : tasks) {
            readLong(c, TAKE_RATE_RESERVATION, p -> p.text(id.toString())).ifPresent(slot -> held.put(id, slot));
          }
          Update<T> update = planner.plan(Map.copyOf(tats), Map.copyOf(held));
          for (Map.Entry<Bucket, Long> e : new TreeMap<>(update.tats()).entrySet()) {
            if (!ordered.contains(e.getKey())) {
              throw new SQLException("a rate decision wrote bucket " + e.getKey() + ", which it did not read");
            }
            update(c, UPDATE_RATE_BUCKET, p -> p.bigint(e.getValue()).text(e.getKey().limit()).text(e.getKey().key()));
          }
          for (Map.Entry<TaskId, Long> e : update.reservations().entrySet()) {
            update(c, QueryName.UPSERT_RATE_RESERVATION, p -> p.text(e.getKey().toString()).bigint(e.getValue()));
          }
          return update.result();
        });
  }

  @Override
  public Optional<Long> reservation(TaskId task) {
    return transactions.read(
        "read rate reservation", c -> readLong(c, FIND_RATE_RESERVATION, p -> p.text(task.toString())));
  }

  @Override
  public int prune(long bucketsBefore, long reservationsBefore) {
    return transactions.write(
        "prune rate buckets",
        TransactionRunner.Durability.RELAXED,
        c ->
            update(c, PRUNE_RATE_BUCKETS, p -> p.bigint(bucketsBefore))
                + update(c, PRUNE_RATE_RESERVATIONS, p -> p.bigint(reservationsBefore)));
  }

  @FunctionalInterface
  private interface Binder {
    void bind(Params params) throws SQLException;
  }

  private Optional<Long> readLong(Connection c, QueryName query, Binder binder) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(queries.sql(query))) {
      binder.bind(new Params(st, dialect));
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
      }
    }
  }

  private int update(Connection c, QueryName query, Binder binder) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(queries.sql(query))) {
      binder.bind(new Params(st, dialect));
      return st.executeUpdate();
    }
  }
}
