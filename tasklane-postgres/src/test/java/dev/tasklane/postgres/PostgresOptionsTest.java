package dev.tasklane.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PostgresOptionsTest {
  private static final String URL = "jdbc:postgresql://db:5432/app";

  @Test
  void optionsOfAUrlTakeEveryDefault() {
    PostgresOptions options = PostgresOptions.of(URL);

    assertThat(options)
        .isEqualTo(
            new PostgresOptions(
                URL,
                null,
                null,
                PostgresOptions.DEFAULT_SCHEMA,
                PostgresOptions.DEFAULT_POOL_SIZE,
                PostgresOptions.DEFAULT_LISTEN,
                PostgresOptions.DEFAULT_LEADER_TIMEOUT,
                PostgresOptions.DEFAULT_TIMEOUT,
                null));
    assertThat(options.schema()).isEqualTo("public");
    assertThat(options.poolSize()).isEqualTo(10);
    assertThat(options.listen()).isTrue();
  }

  @Test
  void eachWithChangesOnlyItsOwnField() {
    PostgresOptions options =
        PostgresOptions.of(URL)
            .withUser("tasklane")
            .withPassword("s3cret")
            .withSchema("Jobs_2")
            .withPoolSize(3)
            .withListen(false)
            .withLeaderTimeout(java.time.Duration.ofSeconds(4))
            .withTimeout(java.time.Duration.ofSeconds(3))
            .withClock(java.time.InstantSource.fixed(java.time.Instant.EPOCH))
            .withJdbcUrl("jdbc:postgresql://other/app");

    assertThat(options)
        .isEqualTo(
            new PostgresOptions(
                "jdbc:postgresql://other/app",
                "tasklane",
                "s3cret",
                "Jobs_2",
                3,
                false,
                java.time.Duration.ofSeconds(4),
                java.time.Duration.ofSeconds(3),
                java.time.InstantSource.fixed(java.time.Instant.EPOCH)));
  }

  @Test
  void aUrlOfAnotherDatabaseIsRejectedWithoutShowingItsQueryString() {
    assertThatThrownBy(() -> PostgresOptions.of("jdbc:mysql://db/app?password=hunter2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jdbc:mysql://db/app?...")
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> PostgresOptions.of(null)).isInstanceOf(NullPointerException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1jobs", "my-schema", "jobs.x", "a\"b", "pg_jobs", "PG_x"})
  void aSchemaNameThatIsNotAPlainIdentifierIsRejected(String schema) {
    assertThatThrownBy(() -> PostgresOptions.of(URL).withSchema(schema))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(schema.isEmpty() ? "schema" : schema);
  }

  @Test
  void aSchemaNameLongerThanPostgresKeepsIsRejected() {
    assertThat(PostgresOptions.of(URL).withSchema("s".repeat(63)).schema()).hasSize(63);
    assertThatThrownBy(() -> PostgresOptions.of(URL).withSchema("s".repeat(64)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most 63");
  }

  @Test
  void aPoolSizeOutsideOneToAThousandIsRejected() {
    assertThat(PostgresOptions.of(URL).withPoolSize(1).poolSize()).isEqualTo(1);
    assertThat(PostgresOptions.of(URL).withPoolSize(1000).poolSize()).isEqualTo(1000);
    assertThatThrownBy(() -> PostgresOptions.of(URL).withPoolSize(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PostgresOptions.of(URL).withPoolSize(1001))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void toStringShowsNeitherThePasswordNorTheUrlsQueryString() {
    String text =
        PostgresOptions.of(URL + "?user=u&password=fromurl").withPassword("s3cret").toString();

    assertThat(text).doesNotContain("s3cret", "fromurl").contains("password=****", URL + "?...");
  }

  @Test
  void theWorkChannelNamesTheSchemaOrItsDigestWhenTooLong() {
    assertThat(WorkListener.channel("public")).isEqualTo("tasklane_work_public");
    String longName = "s".repeat(50);
    assertThat(WorkListener.channel(longName))
        .matches("tasklane_work_[0-9a-f]{32}")
        .isEqualTo(WorkListener.channel(longName));
  }

  @Test
  void leaderLockKeysDifferBetweenSchemas() {
    assertThat(AdvisoryLockElection.lockKey("public"))
        .isEqualTo(AdvisoryLockElection.lockKey("public"))
        .isNotEqualTo(AdvisoryLockElection.lockKey("jobs"));
  }
}
