package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /api/v1/rate-limits} over real HTTP against a real SQLite store. */
class RateLimitApiTest {
  @TempDir Path dir;
  private ServerFixture node;

  @BeforeEach
  void start() {
    node = ServerFixture.start(dir);
  }

  @AfterEach
  void stop() {
    node.close();
  }

  private ServerFixture.Response put(String path, String body) {
    return node.send("PUT", "/api/v1/rate-limits/" + path, null, body);
  }

  @Test
  void aLimitIsSetListedAppliedExplainedAndDeleted() {
    ServerFixture.Response set = put("queue/partner", "{\"limit\": 1, \"per\": 60, \"burst\": 1}");
    assertThat(set.status()).as(set.body()).isEqualTo(200);
    assertThat(set.json().get("name").asText()).isEqualTo("queue:partner");
    assertThat(set.json().get("per").asInt()).isEqualTo(60);
    JsonNode list = node.get("/api/v1/rate-limits").json().get("rate_limits");
    assertThat(list).hasSize(1);
    assertThat(list.get(0).get("burst").asInt()).isEqualTo(1);
    assertThat(list.get(0).get("key_field").isNull()).isTrue();

    String first = node.submit("{\"type\": \"echo\", \"queue\": \"partner\"}").get("id").asText();
    node.awaitState(first, "succeeded");
    String second = node.submit("{\"type\": \"echo\", \"queue\": \"partner\"}").get("id").asText();
    node.awaitState(second, "scheduled");
    JsonNode why = node.get("/api/v1/tasks/" + second + "/explain").json();
    assertThat(why.get("code").asText()).isEqualTo("rate_limited");
    assertThat(why.get("message").asText()).contains("queue:partner").contains("1 per 60 s");
    assertThat(why.get("details").get("limits").get(0).asText()).isEqualTo("queue:partner");

    assertThat(node.send("DELETE", "/api/v1/rate-limits/queue/partner", null, null).status()).isEqualTo(204);
    assertThat(node.send("DELETE", "/api/v1/rate-limits/queue/partner", null, null).status()).isEqualTo(404);
    assertThat(node.get("/api/v1/rate-limits").json().get("rate_limits")).isEmpty();
  }

  @Test
  void badLimitsAre422sAndChangeNothing() {
    assertThat(put("queue/partner", "{}").status()).isEqualTo(422);
    assertThat(put("queue/partner", "{\"limit\": 0}").status()).isEqualTo(422);
    assertThat(put("queue/partner", "{\"limit\": 5, \"per\": 0}").status()).isEqualTo(422);
    assertThat(put("queue/partner", "{\"limit\": 5, \"burst\": 0}").status()).isEqualTo(422);
    assertThat(put("queue/partner", "{\"limit\": 5, \"key_field\": \"no spaces\"}").status()).isEqualTo(422);
    assertThat(put("queue/partner", "{\"limit\": 1000000, \"per\": 0.001}").body()).contains("microsecond");
    assertThat(put("tenant/partner", "{\"limit\": 5}").status()).isEqualTo(422);
    assertThat(put("queue/bad%20name", "{\"limit\": 5}").status()).isEqualTo(422);
    assertThat(node.get("/api/v1/rate-limits").json().get("rate_limits")).isEmpty();
  }

  @Test
  void aKeyedTypeLimitIsKeptWithItsField() {
    ServerFixture.Response set = put("type/echo", "{\"limit\": 10, \"per\": 1.5, \"key_field\": \"account\"}");
    assertThat(set.status()).as(set.body()).isEqualTo(200);
    assertThat(set.json().get("key_field").asText()).isEqualTo("account");
    assertThat(set.json().get("burst").asInt()).as("burst defaults to the limit").isEqualTo(10);
    assertThat(set.json().get("per").decimalValue()).isEqualByComparingTo("1.5");
    String id = node.submit("{\"type\": \"echo\", \"payload\": {\"account\": \"a\"}}").get("id").asText();
    await().atMost(Duration.ofSeconds(15)).until(() -> node.task(id).get("state").asText().equals("succeeded"));
  }
}
