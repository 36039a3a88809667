package dev.tasklane.server.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tasklane.TaskContext;
import dev.tasklane.TaskHandler;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskType;
import dev.tasklane.Worker;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;

/**
 * Registers the server's webhook task types: each run is one signed {@code POST} of the task's
 * payload to the type's URL.
 *
 * <ul>
 *   <li>2xx: success; the response body (at most {@value #MAX_RESULT_BYTES} bytes, JSON if it is
 *       JSON, else text) is the task's result.
 *   <li>4xx: a permanent failure, no retry: the receiver refused this payload and will again.
 *       Except 408 and 429, which are retried, after {@code Retry-After} when given.
 *   <li>5xx, a timeout, a connection error: a failed attempt, retried with the type's backoff.
 *   <li>3xx: a permanent failure: redirects are never followed (an allowed host must not bounce a
 *       call to one that is not).
 * </ul>
 *
 * Every call carries {@code Tasklane-Task-Id}, {@code Tasklane-Attempt}, {@code Idempotency-Key}
 * (the task id: a receiver can drop a repeat delivery) and the signature headers ({@link
 * Signature}).
 */
public final class WebhookTasks {
  static final int MAX_RESULT_BYTES = 64 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private WebhookTasks() {}

  /** Registers one task type per webhook of {@code config} on {@code builder}. */
  public static Worker.Builder register(Worker.Builder builder, WebhookConfig config) {
    return register(builder, config, HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(10))
        .build(), InstantSource.system());
  }

  static Worker.Builder register(
      Worker.Builder builder, WebhookConfig config, HttpClient client, InstantSource clock) {
    for (Webhook w : config.webhooks()) {
      builder.register(TaskType.of(w.type(), JsonNode.class, new Call(w, config, client, clock)));
    }
    return builder;
  }

  /** A webhook's 5xx: worth another attempt. */
  static final class ServerError extends IOException {
    ServerError(String message) {
      super(message, null);
    }
  }

  private record Call(Webhook webhook, WebhookConfig config, HttpClient client, InstantSource clock)
      implements TaskHandler<JsonNode> {

    @Override
    public TaskResult handle(JsonNode payload, TaskContext ctx) throws Exception {
      if (!config.allows(webhook)) {
        return TaskResult.fail("webhook destination " + webhook.destination() + " is not allowed");
      }
      byte[] body = JSON.writeValueAsBytes(payload);
      long timestamp = clock.instant().getEpochSecond();
      HttpRequest request =
          HttpRequest.newBuilder(webhook.url())
              .timeout(webhook.timeout())
              .header("Content-Type", "application/json")
              .header("User-Agent", "tasklane-webhook")
              .header("Tasklane-Task-Id", ctx.taskId().toString())
              .header("Tasklane-Attempt", Integer.toString(ctx.attempt()))
              .header("Idempotency-Key", ctx.taskId().toString())
              .header(Signature.TIMESTAMP_HEADER, Long.toString(timestamp))
              .header(Signature.HEADER, Signature.sign(config.secret(), timestamp, body))
              .POST(HttpRequest.BodyPublishers.ofByteArray(body))
              .build();
      HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
      byte[] answer;
      try (InputStream in = response.body()) {
        answer = in.readNBytes(MAX_RESULT_BYTES + 1);
      }
      int status = response.statusCode();
      String where = "HTTP " + status + " from " + webhook.url();
      if (status >= 200 && status < 300) {
        return TaskResult.success(result(answer));
      }
      if (status == 408 || status == 429) {
        Optional<Duration> after = retryAfter(response);
        if (after.isPresent()) {
          return TaskResult.retry(after.get(), where);
        }
        throw new ServerError(where + snippet(answer));
      }
      if (status >= 300 && status < 400) {
        return TaskResult.fail(where + ": redirects are not followed");
      }
      if (status >= 400 && status < 500) {
        return TaskResult.fail(where + snippet(answer));
      }
      throw new ServerError(where + snippet(answer));
    }

    private static Object result(byte[] answer) {
      if (answer.length == 0) {
        return null;
      }
      if (answer.length > MAX_RESULT_BYTES) {
        return "(response of more than " + MAX_RESULT_BYTES + " bytes not kept)";
      }
      try {
        return JSON.readTree(answer);
      } catch (JsonProcessingException notJson) {
        return new String(answer, StandardCharsets.UTF_8);
      } catch (IOException e) {
        return new String(answer, StandardCharsets.UTF_8);
      }
    }

    private static String snippet(byte[] answer) {
      if (answer.length == 0) {
        return "";
      }
      String text = new String(answer, 0, Math.min(answer.length, 200), StandardCharsets.UTF_8);
      return ": " + text.replaceAll("\\s+", " ").strip();
    }

    private static Optional<Duration> retryAfter(HttpResponse<?> response) {
      return response.headers().firstValue("Retry-After").flatMap(v -> {
        try {
          long s = Long.parseLong(v.trim());
          return s >= 0 && s <= 86_400 ? Optional.of(Duration.ofSeconds(s)) : Optional.empty();
        } catch (NumberFormatException e) {
          return Optional.empty();
        }
      });
    }
  }
}
