package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics} over real HTTP: the counters move as tasks run. */
class MetricsTest {
  @TempDir Path dir;
  private ServerFixture node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private String scrape() {
    ServerFixture.Response r = node.get("/metrics");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    return r.body();
  }

  /** The value of the sample whose name and labels match, or 0 when it is absent. */
  private static double value(String metrics, String sample) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(sample) + " (\\S+)$").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  @Test
  void countersHistogramsAndGaugesMoveAsTasksRun() {
    node = ServerFixture.start(dir);
    String before = scrape();
    String noop = "{queue=\"default\",type=\"noop\"}";
    assertThat(value(before, "tasklane_tasks_submitted_total" + noop)).isZero();

    for (int i = 0; i < 3; i++) {
      node.submit("{\"type\": \"noop\"}");
    }
    String failed = node.submit("{\"type\": \"fail\", \"max_attempts\": 1}").get("id").asText();
    node.awaitState(failed, "failed");

    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      String after = scrape();
      assertThat(value(after, "tasklane_tasks_submitted_total" + noop)).isEqualTo(3);
      assertThat(value(after, "tasklane_tasks_started_total" + noop)).isEqualTo(3);
      assertThat(value(after, "tasklane_tasks_finished_total{queue=\"default\",result=\"succeeded\",type=\"noop\"}")).isEqualTo(3);
      assertThat(value(after, "tasklane_tasks_finished_total{queue=\"default\",result=\"failed\",type=\"fail\"}")).isEqualTo(1);
      assertThat(value(after, "tasklane_task_wait_seconds_count" + noop)).isEqualTo(3);
      assertThat(value(after, "tasklane_task_run_seconds_count{queue=\"default\",result=\"succeeded\",type=\"noop\"}")).isEqualTo(3);
      assertThat(value(after, "tasklane_queue_tasks{queue=\"default\",state=\"succeeded\"}")).isEqualTo(3);
      assertThat(value(after, "tasklane_queue_tasks{queue=\"default\",state=\"failed\"}")).isEqualTo(1);
      assertThat(value(after, "tasklane_handlers_limit")).isEqualTo(node.worker.config().concurrency());
      assertThat(after).contains("tasklane_task_wait_seconds_bucket{").contains("jvm_memory_used_bytes");
    });
  }

  @Test
  void inFlightHandlersAndAPausedQueueShowWhileTheyLast() {
    node = ServerFixture.start(dir);
    node.submit("{\"type\": \"block\"}");
    node.awaitBlockStarted();
    node.post("/api/v1/queues/mail/pause", "");

    String metrics = scrape();

    assertThat(value(metrics, "tasklane_handlers_in_flight")).isEqualTo(1);
    assertThat(value(metrics, "tasklane_queue_in_flight{queue=\"default\"}")).isEqualTo(1);
    assertThat(value(metrics, "tasklane_queue_limit{queue=\"default\"}")).isEqualTo(node.worker.config().limitOf("default"));
    assertThat(value(metrics, "tasklane_queue_tasks{queue=\"default\",state=\"running\"}")).isEqualTo(1);
    assertThat(value(metrics, "tasklane_queue_paused{queue=\"mail\"}")).isEqualTo(1);
    assertThat(value(metrics, "tasklane_queue_paused{queue=\"default\"}")).isZero();
    node.release();
  }
}
