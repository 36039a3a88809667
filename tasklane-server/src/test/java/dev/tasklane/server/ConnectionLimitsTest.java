package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tasklane.server.net.TlsFiles;
import dev.tasklane.testkit.TestCertificate;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS with HTTP/2, and clients too slow to be served: cut off, while others are served. */
class ConnectionLimitsTest {
  @TempDir Path dir;
  private ServerFixture node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void tlsServesHttp2WithTheGivenCertificateAndRefusesPlainHttp() throws Exception {
    TestCertificate cert = TestCertificate.create(dir);
    node = ServerFixture.start(dir, c -> c.withTls(new TlsFiles(cert.certificate(), cert.privateKey())));
    assertThat(node.server.url()).startsWith("https://127.0.0.1:");

    HttpClient client = HttpClient.newBuilder().sslContext(cert.trustingIt()).version(HttpClient.Version.HTTP_2).build();
    HttpResponse<String> health =
        client.send(HttpRequest.newBuilder(URI.create(node.server.url() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.version()).isEqualTo(HttpClient.Version.HTTP_2);

    HttpResponse<String> submitted =
        client.send(
            HttpRequest.newBuilder(URI.create(node.server.url() + "/api/v1/tasks"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\": \"noop\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(submitted.statusCode()).isEqualTo(202);
    // HTTP/2 carries the host as :authority, not as a Host header: the page's own origin passes.
    HttpResponse<String> sameOrigin =
        client.send(
            HttpRequest.newBuilder(URI.create(node.server.url() + "/api/v1/queues/default/pause"))
                .header("Origin", node.server.url())
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(sameOrigin.version()).isEqualTo(HttpClient.Version.HTTP_2);
    assertThat(sameOrigin.statusCode()).as(sameOrigin.body()).isEqualTo(200);
    HttpResponse<String> foreign =
        client.send(
            HttpRequest.newBuilder(URI.create(node.server.url() + "/api/v1/queues/default/resume"))
                .header("Origin", "https://evil.example")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(foreign.statusCode()).isEqualTo(403);

    HttpClient untrusting = HttpClient.newHttpClient();
    org.junit.jupiter.api.Assertions.assertThrows(
        IOException.class,
        () ->
            untrusting.send(
                HttpRequest.newBuilder(URI.create(node.server.url() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString()));
    RawHttp.Answer plain =
        rawOrClosed(node.server.port(), "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assertThat(plain == null || plain.status() != 200).as("no plain HTTP on the TLS port").isTrue();
  }

  @Test
  void aBadKeyFileFailsBeforeAnythingListens() throws Exception {
    TestCertificate cert = TestCertificate.create(dir);
    Path notAKey = dir.resolve("not-a-key.pem");
    java.nio.file.Files.writeString(notAKey, "hello");
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> ServerFixture.start(dir, c -> c.withTls(new TlsFiles(cert.certificate(), notAKey))));
    assertThat(e.getMessage()).contains("not-a-key.pem").contains("no unencrypted PEM private key");
  }

  @Test
  void clientsTricklingRequestHeadsAreCutOffWhileOthersAreServed() throws Exception {
    Duration timeout = Duration.ofSeconds(2);
    node = ServerFixture.start(dir, c -> c.withHeaderTimeout(timeout));
    int port = node.server.port();
    List<Socket> slow = new ArrayList<>();
    AtomicInteger closedByServer = new AtomicInteger();
    try {
      for (int i = 0; i < 50; i++) {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: localhost\r\n".getBytes(StandardCharsets.ISO_8859_1));
        slow.add(s);
      }
      long started = System.nanoTime();
      // Each keeps sending a header byte every 200 ms, far inside the idle timeout.
      await()
          .atMost(timeout.plusSeconds(8))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                for (Socket s : slow) {
                  if (!s.isClosed() && !trickle(s)) {
                    s.close();
                    closedByServer.incrementAndGet();
                  }
                }
                assertThat(node.get("/health").status()).isEqualTo(200);
                return closedByServer.get() == slow.size();
              });
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      assertThat(took).isGreaterThanOrEqualTo(timeout.minusMillis(200));
    } finally {
      for (Socket s : slow) {
        s.close();
      }
    }
  }

  @Test
  void aBodyTrickledSlowerThanTheMinimumRateIsCutOffAndQueuesNothing() throws Exception {
    node = ServerFixture.start(dir);
    long before = node.worker.list(dev.tasklane.TaskQuery.all()).tasks().size();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", node.server.port()), 5_000);
      s.getOutputStream()
          .write(
              ("POST /api/v1/tasks HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                      + "Content-Length: 4000\r\n\r\n{\"type\": \"noop\", \"payload\": \"")
                  .getBytes(StandardCharsets.ISO_8859_1));
      long started = System.nanoTime();
      // 5 bytes a second, far below the minimum; every byte well inside the idle timeout.
      StringBuilder answer = new StringBuilder();
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> !trickleReading(s, answer));
      System.out.printf("slow body cut off after %d ms%n", (System.nanoTime() - started) / 1_000_000);
      assertThat(answer.toString()).startsWith("HTTP/1.1 408").contains("too slowly");
    }
    assertThat(node.worker.list(dev.tasklane.TaskQuery.all()).tasks()).hasSize((int) before);
    assertThat(node.get("/health").status()).isEqualTo(200);
  }

  /** Sends one more byte and keeps what the server answered; false once it closed. */
  private static boolean trickleReading(Socket s, StringBuilder answer) {
    try {
      s.getOutputStream().write('X');
      s.setSoTimeout(50);
      byte[] b = new byte[4096];
      try {
        int n = s.getInputStream().read(b);
        if (n < 0) {
          return false;
        }
        answer.append(new String(b, 0, n, StandardCharsets.ISO_8859_1));
        return true;
      } catch (java.net.SocketTimeoutException stillOpen) {
        return true;
      }
    } catch (IOException closed) {
      return false;
    }
  }

  /** Sends one more header byte; false once the server has closed the connection. */
  private static boolean trickle(Socket s) {
    try {
      OutputStream out = s.getOutputStream();
      out.write('X');
      out.flush();
      s.setSoTimeout(1);
      InputStream in = s.getInputStream();
      try {
        return in.read() != -1 || false;
      } catch (java.net.SocketTimeoutException stillOpen) {
        return true;
      }
    } catch (SocketException closed) {
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  private static RawHttp.Answer rawOrClosed(int port, String request) {
    try {
      return RawHttp.exchange(port, request.getBytes(StandardCharsets.ISO_8859_1), false, Duration.ofSeconds(5));
    } catch (IOException e) {
      return null;
    }
  }
}
