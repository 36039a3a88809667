package dev.tasklane.server.net;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.internal.HttpConnection;

/**
 * Cuts off HTTP/1 clients that send a request's head too slowly (slowloris): a connection that has
 * begun a request line or headers and not finished them within the timeout is closed, however
 * often it trickles a byte to keep the idle timeout from firing. Bodies are bounded separately, by
 * Jetty's minimum request data rate; a connection waiting for its next request sends nothing, and
 * the idle timeout closes it.
 *
 * <p>One daemon thread looks at every open connection each {@link #CHECK_EVERY}; a client is cut
 * off between the timeout and the timeout plus that period.
 */
final class SlowClientGuard implements Connection.Listener, AutoCloseable {
  static final Duration CHECK_EVERY = Duration.ofMillis(500);

  private final long timeoutNanos;
  /** Open connections, and since when each has been in the middle of a request head (0: not). */
  private final Map<HttpConnection, Long> open = new ConcurrentHashMap<>();

  private final ScheduledExecutorService checker =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().name("tasklane-slow-clients").daemon(true).unstarted(r));

  SlowClientGuard(Duration headerTimeout) {
    this.timeoutNanos = headerTimeout.toNanos();
    checker.scheduleWithFixedDelay(
        this::check, CHECK_EVERY.toMillis(), CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void onOpened(Connection connection) {
    if (connection instanceof HttpConnection http) {
      open.put(http, 0L);
    }
  }

  @Override
  public void onClosed(Connection connection) {
    if (connection instanceof HttpConnection http) {
      open.remove(http);
    }
  }

  private void check() {
    long now = System.nanoTime();
    open.replaceAll(
        (connection, since) -> {
          var parser = connection.getParser();
          boolean midHead = parser.inHeaderState() && !parser.isStart();
          if (!midHead) {
            return 0L;
          }
          if (since == 0L) {
            return now;
          }
          if (now - since > timeoutNanos) {
            connection.getEndPoint().close();
          }
          return since;
        });
  }

  @Override
  public void close() {
    checker.shutdownNow();
  }
}
