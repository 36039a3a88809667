package dev.tasklane.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tasklane.TaskId;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class QueriesTest {

  /** A query file with one trivial block per query, except those named in {@code skip}. */
  private static String fileWithout(QueryName... skip) {
    return Arrays.stream(QueryName.values())
        .filter(q -> !Arrays.asList(skip).contains(q))
        .map(q -> "-- name: " + q.sqlName() + "\nSELECT '" + q.sqlName() + "';\n\n")
        .collect(Collectors.joining("", "-- a header comment, ignored\n\n", ""));
  }

  @Test
  void aCompleteFileGivesEveryQueryItsOwnStatementWithoutTheSemicolon() {
    Queries queries = Queries.parse("test", fileWithout());

    for (QueryName q : QueryName.values()) {
      assertThat(queries.sql(q)).isEqualTo("SELECT '" + q.sqlName() + "'");
    }
  }

  @Test
  void commentsInsideABlockAreKeptWithTheStatement() {
    String text =
        fileWithout(QueryName.FIND_TASK)
            + "-- name: findTask\n-- what it does\nSELECT *\n  FROM task\n WHERE id = ?;  -- id\n";

    Queries queries = Queries.parse("test", text);

    assertThat(queries.sql(QueryName.FIND_TASK))
        .isEqualTo("-- what it does\nSELECT *\n  FROM task\n WHERE id = ?  -- id");
  }

  @Test
  void theClosingSemicolonGoesAlsoWhenACommentFollowsItButNoOtherDoes() {
    String text =
        fileWithout(QueryName.FIND_TASK, QueryName.PING)
            + "-- name: findTask\nSELECT 'a;b' -- x; y\n  FROM task\n WHERE id = ?;\t-- id; key\n"
            + "-- name: ping\nSELECT 1 ;  \n";

    Queries queries = Queries.parse("test", text);

    // Only the last line's closing semicolon goes; semicolons in literals and comments stay.
    assertThat(queries.sql(QueryName.FIND_TASK))
        .isEqualTo("SELECT 'a;b' -- x; y\n  FROM task\n WHERE id = ?  -- id; key");
    assertThat(queries.sql(QueryName.PING)).isEqualTo("SELECT 1");
  }

  @Test
  void placeholdersAreReplacedByTheirValues() {
    String text =
        fileWithout(QueryName.FIND_TASK)
            + "-- name: findTask\nSELECT * FROM ${schema}.task JOIN ${schema}.queue\n";

    Queries queries = Queries.parse("test", text, Map.of("schema", "\"s$1\""));

    assertThat(queries.sql(QueryName.FIND_TASK))
        .isEqualTo("SELECT * FROM \"s$1\".task JOIN \"s$1\".queue");
  }

  @Test
  void aPlaceholderWithoutAValueFailsNamingIt() {
    String text =
        fileWithout(QueryName.FIND_TASK) + "-- name: findTask\nSELECT * FROM ${schema}.task\n";

    assertThatThrownBy(() -> Queries.parse("test", text))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no value for placeholders [schema]");
  }

  @Test
  void aFileMissingQueriesFailsNamingEachOfThem() {
    String text = fileWithout(QueryName.CLAIM_QUEUED, QueryName.RENEW_LEASES);

    assertThatThrownBy(() -> Queries.parse("db/x/queries.sql", text))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("db/x/queries.sql: ")
        .hasMessageContaining("missing queries [claimQueued, renewLeases]");
  }

  @Test
  void aFileWithAnUnknownQueryFailsNamingIt() {
    String text = fileWithout() + "-- name: claimEverything\nSELECT 1;\n";

    assertThatThrownBy(() -> Queries.parse("test", text))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("unknown queries [claimEverything]");
  }

  @Test
  void aQueryDefinedTwiceFails() {
    String text = fileWithout() + "-- name: findTask\nSELECT 2;\n";

    assertThatThrownBy(() -> Queries.parse("test", text))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("query 'findTask' is defined twice");
  }

  @Test
  void aBlockWithOnlyCommentsFails() {
    String text = fileWithout(QueryName.FIND_TASK) + "-- name: findTask\n-- TODO\n\n";

    assertThatThrownBy(() -> Queries.parse("test", text))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("query 'findTask' has no SQL");
  }

  @Test
  void aDialectWithoutAQueryFileFailsWhenLoaded() {
    assertThatThrownBy(() -> Queries.load(new NowhereDialect()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("db/nowhere/queries.sql");
  }

  @Test
  void queryNamesAreTheCamelCaseOfTheConstants() {
    assertThat(QueryName.CLAIM_QUEUED.sqlName()).isEqualTo("claimQueued");
    assertThat(QueryName.COUNT_TASKS_BY_QUEUE_AND_STATE.sqlName())
        .isEqualTo("countTasksByQueueAndState");
  }

  /** A dialect whose resources do not exist. */
  private static final class NowhereDialect implements SqlDialect {
    @Override
    public String name() {
      return "nowhere";
    }

    @Override
    public void setInstant(PreparedStatement statement, int index, Instant value) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant getInstant(ResultSet row, String column) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void setTaskId(PreparedStatement statement, int index, TaskId id) {
      throw new UnsupportedOperationException();
    }

    @Override
    public TaskId getTaskId(ResultSet row, String column) {
      throw new UnsupportedOperationException();
    }
  }
}
