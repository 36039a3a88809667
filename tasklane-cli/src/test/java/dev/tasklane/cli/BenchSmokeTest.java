package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every scenario of {@code tasklane bench} runs to the end with tiny sizes on SQLite, through the
 * command line, so the benchmark cannot rot unnoticed. Speeds are not asserted: they depend on the
 * machine; that is what the benchmark itself is for.
 */
class BenchSmokeTest {

  @Test
  void everyScenarioRunsOnSqliteAndReportsOneJsonLineEach() throws Exception {
    CliRun run = new CliRun();

    // 50 tasks everywhere: latency then takes 1 s (one submission every 20 ms).
    int code = run.execute("bench", "--store", "sqlite", "--tasks", "50", "--warmup", "200ms", "--json");

    assertThat(code).as(run.err()).isEqualTo(ExitCodes.OK);
    List<JsonNode> lines = new ArrayList<>();
    for (String line : run.out().strip().split("\\R")) {
      lines.add(new ObjectMapper().readTree(line));
    }
    assertThat(lines)
        .extracting(o -> o.get("scenario").asText())
        .containsExactly(
            "drain", "enqueue-serial", "enqueue-single", "enqueue-batch", "enqueue-bulk", "http", "latency", "backlog",
            "remote-drain", "remote-drain-python", "remote-latency", "drain-rate-limited");
    for (JsonNode o : lines) {
      String scenario = o.get("scenario").asText();
      assertThat(o.get("store").asText()).isEqualTo("sqlite");
      assertThat(o.get("system").asText()).isEqualTo("tasklane");
      assertThat(o.get("tasks").asLong()).as(scenario).isEqualTo(50);
      assertThat(o.get("errors").asLong()).as(scenario).isZero();
      assertThat(o.get("seconds").asDouble()).as(scenario).isPositive();
      assertThat(o.get("tasks_per_sec").asDouble()).as(scenario).isPositive();
      assertThat(o.get("peak_heap_mb").asDouble()).as(scenario).isPositive();
      boolean hasLatency = !scenario.contains("drain") && !scenario.equals("backlog");
      assertThat(o.get("p99_ms").isNull()).as(scenario).isEqualTo(!hasLatency);
    }
    assertThat(run.err())
        .containsPattern("all \\d+ tasks answered 202 are in the store")
        .contains("64 connections held open throughout");
  }

  @Test
  void aComparisonWithDbSchedulerRunsBothSidesOnPostgresAndPrintsTheirRatios() throws Exception {
    CliRun run = new CliRun();

    int code =
        run.execute(
            "bench", "--compare", "db-scheduler", "--db-url", PostgresSchema.URL,
            "--scenario", "enqueue-serial,enqueue-bulk,drain,latency,http",
            "--tasks", "40", "--warmup", "100ms", "--json");

    assertThat(code).as(run.err()).isEqualTo(ExitCodes.OK);
    List<JsonNode> runs = new ArrayList<>();
    List<JsonNode> comparisons = new ArrayList<>();
    for (String line : run.out().strip().split("\\R")) {
      JsonNode o = new ObjectMapper().readTree(line);
      (o.has("comparison") ? comparisons : runs).add(o);
    }
    // Each side ran each scenario the peer has, on PostgreSQL, without errors; http is Tasklane's alone.
    assertThat(runs)
        .extracting(o -> o.get("scenario").asText() + " " + o.get("system").asText())
        .containsExactly(
            "enqueue-serial tasklane", "enqueue-serial db-scheduler",
            "enqueue-bulk tasklane", "enqueue-bulk db-scheduler",
            "drain tasklane", "drain db-scheduler",
            "latency tasklane", "latency db-scheduler",
            "http tasklane");
    for (JsonNode o : runs) {
      assertThat(o.get("store").asText()).isEqualTo("postgres");
      assertThat(o.get("errors").asLong()).as(o.toString()).isZero();
      assertThat(o.get("tasks").asLong()).as(o.toString()).isEqualTo(40);
    }
    assertThat(comparisons)
        .extracting(o -> o.get("scenario").asText())
        .containsExactly("enqueue-serial", "enqueue-bulk", "drain", "latency");
    for (JsonNode c : comparisons) {
      assertThat(c.get("comparison").asText()).isEqualTo("db-scheduler");
      assertThat(c.get("peer_tasks_per_sec").asDouble()).isPositive();
    }
    assertThat(comparisons.get(0).get("throughput_ratio").asDouble()).isPositive();
    assertThat(comparisons.get(3).get("throughput_ratio").isNull()).isTrue();
    assertThat(comparisons.get(3).get("p99_ratio").asDouble()).isPositive();
    assertThat(run.err()).contains("db-scheduler has no counterpart of this scenario");
    // Every schema a run created was dropped again.
    try (var c = PostgresSchema.connect();
        var st = c.createStatement();
        var rs = st.executeQuery("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tl_bench_%'")) {
      rs.next();
      assertThat(rs.getInt(1)).isZero();
    }
  }
}
