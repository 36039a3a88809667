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
            "drain", "enqueue-single", "enqueue-batch", "http", "latency", "backlog",
            "remote-drain", "remote-drain-python", "remote-latency");
    for (JsonNode o : lines) {
      String scenario = o.get("scenario").asText();
      assertThat(o.get("store").asText()).isEqualTo("sqlite");
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
}
