package dev.tasklane.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchConfigTest {

  @Test
  void defaultsRunEveryScenarioOnSqliteWithTheDocumentedSizes() {
    BenchConfig c = BenchConfig.defaults();

    assertThat(c.store()).isEqualTo(StoreKind.SQLITE);
    assertThat(c.scenarios())
        .containsExactly(
            Scenario.DRAIN, Scenario.ENQUEUE_SERIAL, Scenario.ENQUEUE_SINGLE, Scenario.ENQUEUE_BATCH, Scenario.ENQUEUE_BULK,
            Scenario.HTTP, Scenario.LATENCY, Scenario.BACKLOG,
            Scenario.REMOTE_DRAIN, Scenario.REMOTE_DRAIN_PYTHON, Scenario.REMOTE_LATENCY, Scenario.DRAIN_RATE_LIMITED);
    assertThat(c.concurrency()).isEqualTo(16);
    assertThat(c.connections()).isEqualTo(64);
    assertThat(c.runs()).isEqualTo(1);
    assertThat(c.warmup()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.tasksFor(Scenario.DRAIN)).isEqualTo(100_000);
    assertThat(c.tasksFor(Scenario.ENQUEUE_SINGLE)).isEqualTo(100_000);
    assertThat(c.withStore(StoreKind.POSTGRES).tasksFor(Scenario.ENQUEUE_SINGLE)).isEqualTo(50_000);
    assertThat(c.tasksFor(Scenario.ENQUEUE_BATCH)).isEqualTo(500_000);
    assertThat(c.tasksFor(Scenario.ENQUEUE_SERIAL)).isEqualTo(20_000);
    assertThat(c.tasksFor(Scenario.ENQUEUE_BULK)).isEqualTo(20_000);
    assertThat(c.compare()).isNull();
    assertThat(c.contenders()).containsExactly(Contender.TASKLANE);
    assertThat(c.tasksFor(Scenario.HTTP)).isZero(); // by time
    assertThat(c.tasksFor(Scenario.LATENCY)).isEqualTo(500); // 10 s at 20 ms
    assertThat(c.tasksFor(Scenario.BACKLOG)).isEqualTo(1_000_000);
    assertThat(c.tasksFor(Scenario.REMOTE_DRAIN)).isEqualTo(20_000);
    assertThat(c.tasksFor(Scenario.REMOTE_LATENCY)).isEqualTo(500);
  }

  @Test
  void tasksOverrideEveryScenariosSize() {
    BenchConfig c = BenchConfig.defaults().withTasks(200);

    for (Scenario s : Scenario.values()) {
      assertThat(c.tasksFor(s)).isEqualTo(200);
    }
  }

  @Test
  void repeatedScenariosRunOnceInTheOrderFirstNamed() {
    BenchConfig c =
        BenchConfig.defaults().withScenarios(List.of(Scenario.LATENCY, Scenario.DRAIN, Scenario.LATENCY));

    assertThat(c.scenarios()).containsExactly(Scenario.LATENCY, Scenario.DRAIN);
  }

  @Test
  void aComparisonRunsThePeerAfterTasklaneOnPostgresOnly() {
    BenchConfig pg = BenchConfig.defaults().withStore(StoreKind.POSTGRES).withCompare(Contender.DB_SCHEDULER);

    assertThat(pg.contenders()).containsExactly(Contender.TASKLANE, Contender.DB_SCHEDULER);
    assertThatThrownBy(() -> BenchConfig.defaults().withCompare(Contender.DB_SCHEDULER))
        .hasMessageContaining("PostgreSQL");
    assertThatThrownBy(() -> pg.withCompare(Contender.TASKLANE)).hasMessageContaining("peer");
    assertThat(Contender.parsePeer("DB-Scheduler")).isEqualTo(Contender.DB_SCHEDULER);
    assertThatThrownBy(() -> Contender.parsePeer("tasklane")).hasMessageContaining("there is: db-scheduler");
  }

  @Test
  void valuesOutOfRangeAreRefused() {
    BenchConfig c = BenchConfig.defaults();

    assertThatThrownBy(() -> c.withScenarios(List.of())).hasMessageContaining("at least one scenario");
    assertThatThrownBy(() -> c.withTasks(0)).hasMessageContaining("tasks must be between 1");
    assertThatThrownBy(() -> c.withConcurrency(0)).hasMessageContaining("concurrency");
    assertThatThrownBy(() -> c.withRuns(101)).hasMessageContaining("runs");
    assertThatThrownBy(() -> c.withWarmup(Duration.ofSeconds(-1))).hasMessageContaining("warmup");
    assertThatThrownBy(() -> c.withStore(StoreKind.POSTGRES).withDbUrl("jdbc:mysql://db/x?password=s3cret"))
        .hasMessageContaining("jdbc:postgresql://")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void namesParseInAnyCase() {
    assertThat(Scenario.parse(" Enqueue-Batch ")).isEqualTo(Scenario.ENQUEUE_BATCH);
    assertThat(StoreKind.parse("PostgreSQL")).isEqualTo(StoreKind.POSTGRES);
    assertThatThrownBy(() -> Scenario.parse("throughput"))
        .hasMessageContaining("drain, enqueue-serial, enqueue-single, enqueue-batch, enqueue-bulk, http, latency, backlog");
    assertThatThrownBy(() -> StoreKind.parse("mysql")).hasMessageContaining("sqlite or postgres");
  }
}
