package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clients create queues up to a maximum, and an empty queue can be deleted to make room. */
class QueueBoundsTest {
  @TempDir Path dir;
  private ServerFixture node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void pastTheMaximumANewQueueIsRefusedAndDeletingAnEmptyOneMakesRoom() {
    node = ServerFixture.start(dir, c -> c.withMaxQueues(3));
    node.submit("{\"type\": \"noop\"}"); // the default queue
    assertThat(node.send("PATCH", "/api/v1/queues/amp-1", null, "{\"limit\": 1}").status()).isEqualTo(200);
    assertThat(node.send("PATCH", "/api/v1/queues/amp-2", null, "{\"limit\": 1}").status()).isEqualTo(200);

    ServerFixture.Response patch = node.send("PATCH", "/api/v1/queues/amp-3", null, "{\"limit\": 1}");
    assertThat(patch.status()).isEqualTo(422);
    assertThat(patch.detail().get(0).get("type").asText()).isEqualTo("too_many_queues");
    assertThat(patch.detail().get(0).get("loc").toString()).isEqualTo("[\"path\",\"queue\"]");
    ServerFixture.Response submit = node.post("/api/v1/tasks", "{\"type\": \"noop\", \"queue\": \"amp-4\"}");
    assertThat(submit.status()).isEqualTo(422);
    assertThat(submit.detail().get(0).get("loc").toString()).isEqualTo("[\"body\",\"queue\"]");
    assertThat(node.send("POST", "/api/v1/queues/amp-5/pause", null, null).status()).isEqualTo(422);
    assertThat(node.post("/api/v1/tasks", "{\"type\": \"noop\", \"queue\": \"amp-1\"}").status())
        .as("a known queue is always accepted")
        .isEqualTo(202);
    assertThat(node.get("/api/v1/queues").json().get("queues")).hasSize(3);
    assertThat(node.get("/metrics").body()).doesNotContain("amp-3").doesNotContain("amp-4");

    assertThat(node.send("DELETE", "/api/v1/queues/amp-2", null, null).status()).isEqualTo(204);
    assertThat(node.send("DELETE", "/api/v1/queues/amp-2", null, null).status()).isEqualTo(404);
    ServerFixture.Response busy = node.send("DELETE", "/api/v1/queues/amp-1", null, null);
    assertThat(busy.status()).isEqualTo(409);
    assertThat(busy.json().get("detail").asText()).contains("still holds tasks");
    assertThat(node.send("PATCH", "/api/v1/queues/amp-3", null, "{\"limit\": 1}").status()).isEqualTo(200);
    assertThat(node.get("/api/v1/queues").json().get("queues").findValuesAsText("name"))
        .containsExactly("amp-1", "amp-3", "default");
  }
}
