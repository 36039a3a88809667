package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Open event streams over real sockets: a cap past which streams get 503, and their memory. */
class EventStreamLimitsTest {
  /** The heap 2,000 open, updated streams may take, stated in the README. */
  static final long HEAP_BOUND_FOR_2000_STREAMS = 128L * 1024 * 1024;

  @TempDir Path dir;
  private ServerFixture node;
  private final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void stop() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    if (node != null) {
      node.close();
    }
  }

  /**
   * Opens a stream; returns the status line's code, after the first event has arrived when it is
   * 200 (the stream is then registered: it counts against the cap).
   */
  private int openStream() throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", node.server.port()), 10_000);
    s.setSoTimeout(30_000);
    sockets.add(s);
    s.getOutputStream()
        .write(
            ("GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
    InputStream in = s.getInputStream();
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != '\n' && c != -1; c = in.read()) {
      line.append((char) c);
    }
    int status = Integer.parseInt(line.toString().split(" ")[1]);
    if (status == 200) {
      byte[] b = new byte[1];
      StringBuilder seen = new StringBuilder();
      while (!seen.toString().contains("event: overview")) {
        if (in.read(b) < 0) {
          throw new IOException("stream ended before its first event");
        }
        seen.append((char) b[0]);
      }
    }
    return status;
  }

  /** Reads what each open stream has received, as a page would. */
  private void drainAll() throws IOException {
    byte[] buffer = new byte[64 * 1024];
    for (Socket s : sockets) {
      InputStream in = s.getInputStream();
      int available = in.available();
      while (available > 0) {
        available -= in.read(buffer, 0, Math.min(buffer.length, available));
      }
    }
  }

  @Test
  void pastTheCapANewStreamGets503AndOneClosingMakesRoom() throws Exception {
    node = ServerFixture.start(dir, c -> c.withMaxEventStreams(2));
    assertThat(openStream()).isEqualTo(200);
    assertThat(openStream()).isEqualTo(200);
    ServerFixture.Response refused =
        node.send(
            java.net.http.HttpRequest.newBuilder(node.uri("/api/v1/events"))
                .header("Accept", "text/event-stream")
                .timeout(Duration.ofSeconds(10))
                .build());
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.header("Retry-After")).isEqualTo("5");

    sockets.remove(0).close();
    await().atMost(Duration.ofSeconds(10)).until(() -> openStreamOrRefused() == 200);
  }

  private int openStreamOrRefused() {
    try {
      return openStream();
    } catch (IOException e) {
      return -1;
    }
  }

  @Test
  void twoThousandOpenStreamsStayWithinTheStatedHeap() throws Exception {
    node = ServerFixture.start(dir, c -> c.withMaxEventStreams(2000));
    for (int q = 0; q < 100; q++) {
      node.post("/api/v1/tasks", "{\"type\": \"noop\", \"queue\": \"q" + q + "\", \"delay\": 3600}");
    }
    long before = heapAfterGc();
    for (int i = 0; i < 2000; i++) {
      assertThat(openStream()).isEqualTo(200);
      if (i % 200 == 0) {
        drainAll();
      }
    }
    // Three pushes reach every stream, read as pages read them.
    long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
    while (System.nanoTime() < deadline) {
      drainAll();
      Thread.sleep(100);
    }
    long grown = heapAfterGc() - before;
    System.out.printf("2000 open event streams: heap grew by %.1f MiB%n", grown / 1024.0 / 1024.0);
    assertThat(grown).isLessThan(HEAP_BOUND_FOR_2000_STREAMS);
    assertThat(node.get("/health").status()).isEqualTo(200);
  }

  private static long heapAfterGc() {
    var memory = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
