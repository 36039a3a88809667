package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of bad requests of every kind ({@link HttpFuzz}) against a real node over real sockets:
 * none gets a 5xx, and none puts an error or a stack trace in the log. The suite sends {@value
 * #DEFAULT_REQUESTS}; more, and another seed, with {@code -Dfuzz.requests=100000
 * -Dfuzz.seed=N}.
 */
class HttpFuzzTest {
  private static final int DEFAULT_REQUESTS = 3_000;
  private static final int CONNECTIONS = 8;

  @TempDir Path dir;

  @Test
  void noBadRequestGetsA5xxOrPutsAStackTraceInTheLog() throws Exception {
    int requests = Integer.getInteger("fuzz.requests", DEFAULT_REQUESTS);
    long seed = Long.getLong("fuzz.seed", 20261202L);
    Map<String, Map<Integer, LongAdder>> statusByKind = new ConcurrentHashMap<>();
    List<String> serverErrors = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicInteger next = new AtomicInteger();
    try (ServerFixture node = ServerFixture.start(dir);
        LogCapture log = LogCapture.all()) {
      int port = node.server.port();
      try (ExecutorService senders = Executors.newFixedThreadPool(CONNECTIONS)) {
        List<Future<?>> done = new ArrayList<>();
        for (int s = 0; s < CONNECTIONS; s++) {
          HttpFuzz fuzz = new HttpFuzz(seed + s);
          done.add(
              senders.submit(
                  () -> {
                    while (next.getAndIncrement() < requests) {
                      HttpFuzz.Case c = fuzz.next();
                      RawHttp.Answer a = RawHttp.exchange(port, c.bytes(), c.halfClose(), Duration.ofSeconds(30));
                      statusByKind
                          .computeIfAbsent(c.kind(), k -> new ConcurrentHashMap<>())
                          .computeIfAbsent(a.status(), k -> new LongAdder())
                          .increment();
                      if (a.status() >= 500) {
                        serverErrors.add(c.kind() + " -> " + a.status() + ": " + preview(c.bytes()) + " => " + a.body());
                      }
                    }
                    return null;
                  }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      }
      Map<String, Map<Integer, Long>> report = new TreeMap<>();
      statusByKind.forEach((k, v) -> {
        Map<Integer, Long> m = new TreeMap<>();
        v.forEach((status, n) -> m.put(status, n.sum()));
        report.put(k, m);
      });
      System.out.println("fuzz seed " + seed + ", " + requests + " requests, statuses by kind: " + report);

      assertThat(serverErrors).as("requests answered 5xx").isEmpty();
      List<ILoggingEvent> events = log.events();
      assertThat(events)
          .as("log events with a stack trace")
          .filteredOn(e -> e.getThrowableProxy() != null)
          .isEmpty();
      assertThat(events).as("errors in the log").filteredOn(e -> e.getLevel() == Level.ERROR).isEmpty();
      assertThat(events)
          .as("log lines quoting a client's control characters")
          .filteredOn(e -> e.getFormattedMessage().chars().anyMatch(ch -> ch < 0x20 && ch != '\t'))
          .isEmpty();
      // The node still serves: nothing the fuzz did broke the list of what it accepted.
      assertThat(node.get("/api/v1/tasks?limit=500").status()).isEqualTo(200);
      assertThat(node.get("/health").status()).isEqualTo(200);
      assertThat(report.values().stream().mapToLong(m -> m.values().stream().mapToLong(Long::longValue).sum()).sum())
          .isEqualTo(requests);
    }
  }

  private static String preview(byte[] request) {
    String s = new String(request, 0, Math.min(request.length, 300), java.nio.charset.StandardCharsets.ISO_8859_1);
    return s.replace("\r", "\\r").replace("\n", "\\n");
  }
}
