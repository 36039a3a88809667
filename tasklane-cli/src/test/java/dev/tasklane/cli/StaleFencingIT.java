package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failure that time-based rescue gets wrong in many job systems: a node freezes (SIGSTOP) past
 * its lease while running tasks, the tasks are re-claimed elsewhere, then the frozen node resumes.
 * Its stale runs must change nothing, and the two ways they are stopped are told apart:
 *
 * <ul>
 *   <li>a run whose handler had finished by the time the node woke writes its outcome, still
 *       believing it holds its task, and the database's compare-and-set on the fencing token
 *       refuses it ({@code stale_refused_by_store});
 *   <li>a run still in its handler learns from the node's next lease renewal that its task moved
 *       on; the node interrupts it and discards its outcome without writing ({@code
 *       stale_discarded}).
 * </ul>
 */
class StaleFencingIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void aFrozenNodesStaleRunsAreRefusedByTheDatabaseOrDiscardedByTheNodeAndTheRecordsAreUntouched()
      throws Exception {
    try (PostgresSchema schema = PostgresSchema.create()) {
      try (ServerProcess a = node(schema, "node-a", "a.log")) {
        for (int round = 1; round <= 5; round++) {
          String finishes = a.submit("{\"type\": \"sleep\", \"payload\": {\"seconds\": 3}}");
          String keepsRunning = a.submit("{\"type\": \"sleep\", \"payload\": {\"seconds\": 600}}");
          await().atMost(Duration.ofSeconds(30)).until(() ->
              a.task(finishes).path("lease_owner").asText().equals("node-a")
                  && !a.task(finishes).path("started_at").isNull()
                  && a.task(keepsRunning).path("lease_owner").asText().equals("node-a")
                  && !a.task(keepsRunning).path("started_at").isNull());

          // node-a freezes before node-b joins, so that both runs are node-a's and the short one
          // cannot end before the freeze however slowly node-b starts.
          a.freeze();
          try (ServerProcess b = node(schema, "node-b-" + round, "b.log")) {
            JsonNode done;
            try {
              // node-a's leases expire; node-b recovers both tasks, runs the short one to its end,
              // and runs the long one.
              done = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                  .until(() -> b.task(finishes), t -> t.path("state").asText().equals("succeeded"));
              await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                  .until(() -> b.task(keepsRunning).path("lease_owner").asText().startsWith("node-b"));
            } finally {
              a.thaw();
            }
            assertThat(done.path("result").path("node").asText()).startsWith("node-b");
            assertThat(done.path("result").path("fencing_token").asLong())
                .isEqualTo(done.path("fencing_token").asLong());
            JsonNode takenOver = b.task(keepsRunning);

            long staleSoFar = 2L * round;
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> stats(a).path("stale_rejected").asLong() >= staleSoFar);
            // Nothing a stale run did changed the records node-b wrote.
            assertThat(b.task(finishes)).isEqualTo(done);
            JsonNode stillB = b.task(keepsRunning);
            assertThat(stillB.path("lease_owner").asText()).isEqualTo(takenOver.path("lease_owner").asText());
            assertThat(stillB.path("fencing_token").asLong()).isEqualTo(takenOver.path("fencing_token").asLong());
            assertThat(stats(b).path("stale_rejected").asLong()).isZero();

            JsonNode s = stats(a);
            assertThat(s.path("stale_rejected").asLong())
                .isEqualTo(s.path("stale_refused_by_store").asLong() + s.path("stale_discarded").asLong());
            // The long run never finished on its own: the node itself discarded it. The short one
            // finished during the freeze and is refused by the database, unless the renewal that
            // tells the node of the loss beat the handler's return (then it is discarded too):
            // another round settles that.
            assertThat(s.path("stale_discarded").asLong()).isGreaterThanOrEqualTo(round);
            if (s.path("stale_refused_by_store").asLong() >= 1) {
              return;
            }
          }
        }
        throw new AssertionError("no stale outcome reached the database in 5 freezes");
      }
    }
  }

  private ServerProcess node(PostgresSchema schema, String nodeId, String log) throws Exception {
    List<String> args = new ArrayList<>(schema.serveFlags());
    args.addAll(List.of(
        "--node-id", nodeId, "--lease", "2s", "--leader-timeout", "3s", "--poll-interval", "200ms"));
    return ServerProcess.start(ServerProcess.freePort(), dir.resolve(log), args);
  }

  private static JsonNode stats(ServerProcess node) throws Exception {
    return JSON.readTree(node.get("/health").body()).path("stats");
  }
}
