package dev.tasklane.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A closed-loop HTTP load generator: a fixed set of keep-alive connections, each on its own
 * virtual thread sending {@code POST /api/v1/tasks} and waiting for the answer before the next
 * request. Phases reuse the same connections, so a warm-up leaves them open for the measurement.
 */
final class HttpLoad implements AutoCloseable {
  /** The request body: a built-in no-op task. */
  static final String BODY = "{\"type\":\"noop\"}";

  private final List<HttpConnection> connections = new ArrayList<>();

  /**
   * Opens {@code count} connections to {@code host:port} now.
   *
   * @throws IOException if one cannot be opened (those already open are closed)
   */
  HttpLoad(String host, int port, int count) throws IOException {
    byte[] request = request(host, port);
    InetSocketAddress address = new InetSocketAddress(host, port);
    try {
      for (int i = 0; i < count; i++) {
        HttpConnection c = new HttpConnection(address, request);
        connections.add(c);
        c.open();
      }
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  /** The bytes of one request. */
  static byte[] request(String host, int port) {
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    String head =
        "POST /api/v1/tasks HTTP/1.1\r\n"
            + "Host: " + host + ":" + port + "\r\n"
            + "Content-Type: application/json\r\n"
            + "Content-Length: " + body.length + "\r\n"
            + "\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[headBytes.length + body.length];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(body, 0, all, headBytes.length, body.length);
    return all;
  }

  /**
   * What one phase did.
   *
   * @param accepted 202 answers
   * @param errors other answers and failed exchanges
   * @param errorKinds how many of each: {@code "HTTP 503"}, {@code "SocketTimeoutException"}...
   * @param latency of the 202 answers, request sent to response read; {@code null} if none
   * @param seconds from the start of the phase until its last answer
   */
  record Phase(long accepted, long errors, Map<String, Long> errorKinds, Percentiles latency, double seconds) {}

  /**
   * Sends requests on every connection until {@code duration} has passed or {@code maxRequests}
   * have been sent, whichever comes first; requests in flight at the deadline are awaited.
   */
  Phase run(Duration duration, long maxRequests) throws InterruptedException {
    AtomicLong tickets = new AtomicLong(maxRequests);
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    List<Sender> senders = new ArrayList<>();
    long[] deadline = new long[1];
    for (HttpConnection c : connections) {
      Sender w = new Sender(c);
      senders.add(w);
      threads.add(
          Thread.ofVirtual()
              .name("bench-http-" + senders.size())
              .start(
                  () -> {
                    try {
                      go.await();
                    } catch (InterruptedException e) {
                      return;
                    }
                    w.loop(tickets, deadline[0]);
                  }));
    }
    long start = System.nanoTime();
    deadline[0] = start + duration.toNanos();
    go.countDown(); // publishes deadline[0] to the threads
    for (Thread t : threads) {
      t.join();
    }
    long accepted = 0;
    long errors = 0;
    long end = start;
    Samples latencies = new Samples();
    Map<String, Long> kinds = new TreeMap<>();
    for (Sender w : senders) {
      accepted += w.accepted;
      errors += w.errors;
      end = Math.max(end, w.lastAnswer);
      latencies.addAll(w.latencies);
      w.errorKinds.forEach((k, v) -> kinds.merge(k, v, Long::sum));
    }
    return new Phase(accepted, errors, kinds, latencies.percentiles(), BenchNodes.seconds(start, end));
  }

  /** Connections opened in all, reconnections included. */
  int timesOpened() {
    return connections.stream().mapToInt(HttpConnection::timesOpened).sum();
  }

  int connections() {
    return connections.size();
  }

  @Override
  public void close() {
    connections.forEach(HttpConnection::close);
  }

  /** One connection's loop and what it counted; confined to its thread until joined. */
  private static final class Sender {
    private final HttpConnection connection;
    private final Samples latencies = new Samples();
    private final Map<String, Long> errorKinds = new TreeMap<>();
    private long accepted;
    private long errors;
    private long lastAnswer;

    Sender(HttpConnection connection) {
      this.connection = connection;
    }

    void loop(AtomicLong tickets, long deadline) {
      while (System.nanoTime() < deadline && tickets.getAndDecrement() > 0) {
        long begin = System.nanoTime();
        try {
          int status = connection.send();
          long took = System.nanoTime() - begin;
          if (status == 202) {
            accepted++;
            latencies.add(took);
          } else {
            errors++;
            errorKinds.merge("HTTP " + status, 1L, Long::sum);
          }
        } catch (IOException e) {
          errors++;
          errorKinds.merge(e.getClass().getSimpleName(), 1L, Long::sum);
        }
        lastAnswer = System.nanoTime();
      }
    }
  }
}
