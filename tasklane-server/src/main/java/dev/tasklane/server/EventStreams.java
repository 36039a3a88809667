package dev.tasklane.server;

import io.javalin.http.sse.SseClient;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's open event streams, each written by a virtual thread of its own, so that a
 * client that stops reading stalls only its own writer, never the push to the others.
 *
 * <p>A stream holds at most one update waiting to be written: a newer one replaces it, so a page
 * that reads slowly skips to the latest state. A stream whose write has been blocked for longer
 * than the stall limit (its client stopped reading) is dropped at the next publish, its stream
 * closed; its page reconnects if it is still there. So no stream holds more than one overview in
 * memory, and a stalled client costs the others nothing.
 *
 * <p>An update is serialised once per push, in parts; each stream sends the queues only when they
 * differ from what it last sent (the page keeps its previous list otherwise), which keeps a quiet
 * system's events small however many queues it has.
 */
final class EventStreams implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventStreams.class);

  /** Where a stream's events go: an open page's connection. */
  interface Sink {
    /** Writes one {@code overview} event; blocks while the client does not read. */
    void send(String json);

    boolean terminated();

    void onClose(Runnable action);

    void close();

    static Sink of(SseClient client) {
      return new Sink() {
        @Override
        public void send(String json) {
          client.sendEvent("overview", json);
        }

        @Override
        public boolean terminated() {
          return client.terminated();
        }

        @Override
        public void onClose(Runnable action) {
          client.onClose(action);
        }

        @Override
        public void close() {
          client.close();
        }
      };
    }
  }

  /** One push, serialised: each part as JSON text. */
  record Update(String at, String queues, String nodesFull, String nodesRedacted, String timeline) {}

  private final int maxStreams;
  private final long stallLimitNanos;
  private final Map<Sink, Stream> streams = new ConcurrentHashMap<>();

  /**
   * @param stallLimit how long one write may block before its stream is dropped
   */
  EventStreams(int maxStreams, java.time.Duration stallLimit) {
    this.maxStreams = maxStreams;
    this.stallLimitNanos = stallLimit.toNanos();
  }

  /** Whether another stream may open now. */
  boolean hasRoom() {
    return streams.size() < maxStreams;
  }

  int size() {
    return streams.size();
  }

  /**
   * Starts writing to {@code client}, beginning with {@code first}, for as long as {@code
   * allowed} says its credential holds (asked at each publish).
   */
  void open(Sink client, boolean internals, Update first, java.util.function.BooleanSupplier allowed) {
    Stream s = new Stream(client, internals, allowed);
    streams.put(client, s);
    client.onClose(() -> remove(client));
    s.offer(first);
    s.writer.start();
  }

  /** Hands {@code update} to every stream; a stream stuck in a write past the limit is dropped. */
  void publish(Update update) {
    long now = System.nanoTime();
    for (Stream s : streams.values()) {
      long since = s.writingSince;
      if (since != 0 && now - since > stallLimitNanos) {
        log.debug("dropping an event stream whose client stopped reading");
        drop(s);
      } else if (!stillAllowed(s)) {
        log.debug("closing an event stream whose credential no longer holds");
        drop(s);
      } else {
        s.offer(update);
      }
    }
  }

  private static boolean stillAllowed(Stream s) {
    try {
      return s.allowed.getAsBoolean();
    } catch (RuntimeException e) {
      return true; // the store did not answer: keep the stream; the next push asks again
    }
  }

  private void remove(Sink client) {
    Stream s = streams.remove(client);
    if (s != null) {
      s.closed = true;
      LockSupport.unpark(s.writer);
    }
  }

  private void drop(Stream s) {
    streams.remove(s.client);
    s.closed = true;
    s.writer.interrupt(); // a write blocked on the stalled client gives up
    Thread.ofVirtual().start(s.client::close);
  }

  @Override
  public void close() {
    for (Stream s : streams.values()) {
      s.closed = true;
      s.writer.interrupt();
      s.client.close();
    }
    streams.clear();
  }

  /** One client's stream and its writer. */
  private static final class Stream {
    final Sink client;
    final boolean internals;
    final java.util.function.BooleanSupplier allowed;
    final AtomicReference<Update> pending = new AtomicReference<>();
    final Thread writer;
    volatile boolean closed;
    /** When the write in progress began, as {@link System#nanoTime()}; 0 while not writing. */
    volatile long writingSince;
    /** The queues JSON this stream last sent (written by its writer only). */
    private String sentQueues;

    Stream(Sink client, boolean internals, java.util.function.BooleanSupplier allowed) {
      this.client = Objects.requireNonNull(client);
      this.internals = internals;
      this.allowed = allowed;
      this.writer = Thread.ofVirtual().name("tasklane-event-stream").unstarted(this::write);
    }

    /** Leaves {@code u} for the writer, in place of any update it has not taken yet. */
    void offer(Update u) {
      pending.set(u);
      LockSupport.unpark(writer);
    }

    private void write() {
      while (!closed && !client.terminated()) {
        Update u = pending.getAndSet(null);
        if (u == null) {
          LockSupport.park(this);
          continue;
        }
        writingSince = Math.max(1, System.nanoTime());
        try {
          client.send(compose(u));
        } catch (RuntimeException e) {
          return; // the page went away mid-write; its onClose removes it
        } finally {
          writingSince = 0;
        }
      }
    }

    private String compose(Update u) {
      StringBuilder json = new StringBuilder(256).append("{\"at\":").append(u.at());
      if (!u.queues().equals(sentQueues)) {
        json.append(",\"queues\":").append(u.queues());
        sentQueues = u.queues();
      }
      return json.append(",\"nodes\":")
          .append(internals ? u.nodesFull() : u.nodesRedacted())
          .append(",\"timeline\":")
          .append(u.timeline())
          .append('}')
          .toString();
    }
  }
}
