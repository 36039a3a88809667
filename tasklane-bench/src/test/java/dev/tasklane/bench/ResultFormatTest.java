package dev.tasklane.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResultFormatTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Result enqueue =
      new Result(Scenario.ENQUEUE_SINGLE, Contender.TASKLANE, StoreKind.POSTGRES, 1, 1, 50_000, 12.3456, 4050.0123, 1.23456, 7.5, 12.0, 210.04, 0);
  private final Result drain =
      new Result(Scenario.DRAIN, Contender.TASKLANE, StoreKind.SQLITE, null, 3, 100_000, 41.2, 2427.18, null, null, null, 312.5, 2);

  @Test
  void jsonLineHasExactlyTheDocumentedFieldsInOrder() throws Exception {
    String line = ResultFormat.jsonLine(enqueue);

    assertThat(line).doesNotContain("\n");
    JsonNode o = JSON.readTree(line);
    List<String> fields = new ArrayList<>();
    o.fieldNames().forEachRemaining(fields::add);
    assertThat(fields)
        .containsExactly(
            "scenario", "system", "store", "tasks", "seconds", "tasks_per_sec", "p50_ms", "p95_ms", "p99_ms",
            "peak_heap_mb", "errors", "run", "runs");
    assertThat(o.get("scenario").asText()).isEqualTo("enqueue-single");
    assertThat(o.get("system").asText()).isEqualTo("tasklane");
    assertThat(o.get("store").asText()).isEqualTo("postgres");
    assertThat(o.get("tasks").asLong()).isEqualTo(50_000);
    assertThat(o.get("run").asInt()).isEqualTo(1);
  }

  @Test
  void jsonRoundsFiguresAndWritesPlainNumbers() {
    String line = ResultFormat.jsonLine(enqueue);

    assertThat(line)
        .contains("\"seconds\":12.346")
        .contains("\"tasks_per_sec\":4050.0")
        .contains("\"p50_ms\":1.235")
        .contains("\"p95_ms\":7.500")
        .contains("\"peak_heap_mb\":210.0")
        .doesNotContain("E+");
  }

  @Test
  void jsonWritesNullWhereAFigureDoesNotApplyAndNamesTheMedianRow() throws Exception {
    JsonNode o = JSON.readTree(ResultFormat.jsonLine(drain));

    assertThat(o.get("p50_ms").isNull()).isTrue();
    assertThat(o.get("p95_ms").isNull()).isTrue();
    assertThat(o.get("p99_ms").isNull()).isTrue();
    assertThat(o.get("run").asText()).isEqualTo("median");
    assertThat(o.get("runs").asInt()).isEqualTo(3);
    assertThat(o.get("errors").asInt()).isEqualTo(2);
  }

  @Test
  void tableRowsLineUpUnderTheHeadings() {
    String header = ResultFormat.tableHeader();
    String row = ResultFormat.tableRow(enqueue);
    String medianRow = ResultFormat.tableRow(drain);

    assertThat(row).hasSameSizeAs(header);
    assertThat(medianRow).hasSameSizeAs(header);
    assertThat(header).startsWith("scenario").contains("tasks/s").contains("p99 ms").contains("heap MB");
    assertThat(row)
        .startsWith("enqueue-single tasklane     postgres")
        .contains(" 50,000 ")
        .contains(" 12.35 ")
        .contains(" 4,050 ")
        .contains(" 1.23 ")
        .contains(" 12.00 ");
    assertThat(medianRow).contains(" median ").contains(" - ").endsWith(" 2");
  }

  @Test
  void aComparisonRowShowsBothSidesAndTheRatiosUnderItsHeadings() throws Exception {
    Result peer =
        new Result(Scenario.ENQUEUE_SINGLE, Contender.DB_SCHEDULER, StoreKind.POSTGRES, 1, 1, 50_000, 25, 2000, 2.46912, 9.0, 24.0, 100.0, 0);
    Comparison c = new Comparison(enqueue, peer);

    String[] header = ResultFormat.comparisonHeader().split("\n");
    String row = ResultFormat.comparisonRow(c);

    assertThat(header[0]).contains("above 1: Tasklane ahead");
    assertThat(row).hasSameSizeAs(header[1]);
    assertThat(row)
        .startsWith("enqueue-single postgres db-scheduler")
        .contains(" 4,050 ")
        .contains(" 2,000 ")
        .contains(" 2.03 ")
        .contains(" 1.23/12.00 ")
        .contains(" 2.47/24.00 ")
        .endsWith(" 2.00    2.00");
    JsonNode o = JSON.readTree(ResultFormat.comparisonJson(c));
    assertThat(o.get("comparison").asText()).isEqualTo("db-scheduler");
    assertThat(o.get("throughput_ratio").asDouble()).isEqualTo(2.03);
    assertThat(o.get("p99_ratio").asDouble()).isEqualTo(2.0);
  }

  @Test
  void machineLineNamesStoreCoresHeapAndJdk() {
    MachineFacts facts =
        new MachineFacts(2, 6L * 1024 * 1024 * 1024, "G1", "25.0.1+8 (Eclipse Adoptium)", "Linux 6.1 amd64", StoreKind.SQLITE, "SQLite 3.50.4");

    assertThat(ResultFormat.machineLine(facts))
        .isEqualTo(
            "tasklane bench on SQLite 3.50.4: 2 cores, max heap 6.0 GiB (G1), JDK 25.0.1+8 (Eclipse Adoptium), Linux 6.1 amd64");
  }
}
