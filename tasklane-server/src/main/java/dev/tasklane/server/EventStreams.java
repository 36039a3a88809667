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
 * <p>A stream holds at most one update waiting to be written. An update published while the
 * previous one still waits means the client has not taken a whole push interval's worth: it is
 * dropped (its stream closed), and its page reconnects if it is still there. So no stream holds
 * more than one overview in memory, and a stalled client costs the others nothing.
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
  private final Map<Sink, Stream> streams = new ConcurrentHashMap<>();

  EventStreams(int maxStreams) {
    this.maxStreams = maxStreams;
  }

  /** Whether another stream may open now. */
  boolean hasRoom() {
    return streams.size() < maxStreams;
  }

  int size() {
    return streams.size();
  }

  /** Starts writing to {@code client}, beginning with {@code first}. */
  void open(Sink client, boolean internals, Update first) {
    Stream s = new Stream(client, internals);
    streams.put(client, s);
    client.onClose(() -> remove(client));
    s.offer(first);
    s.writer.start();
  }

  /** Hands {@code update} to every stream; a stream still holding the previous one is dropped. */
  void publish(Update update) {
    for (Stream s : streams.values()) {
      if (!s.offer(update)) {
        log.debug("dropping an event stream that has not read the last update");
        drop(s);
      }
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
    final AtomicReference<Update> pending = new AtomicReference<>();
    final Thread writer;
    volatile boolean closed;
    /** The queues JSON this stream last sent (written by its writer only). */
    private String sentQueues;

    Stream(Sink client, boolean internals) {
      this.client = Objects.requireNonNull(client);
      this.internals = internals;
      this.writer = Thread.ofVirtual().name("tasklane-event-stream").unstarted(this::write);
    }

    /** Leaves {@code u} for the writer; false if the previous update is still waiting. */
    boolean offer(Update u) {
      boolean taken = pending.getAndSet(u) == null;
      LockSupport.unpark(writer);
      return taken;
    }

    private void write() {
      while (!closed && !client.terminated()) {
        Update u = pending.getAndSet(null);
        if (u == null) {
          LockSupport.park(this);
          continue;
        }
        try {
          client.send(compose(u));
        } catch (RuntimeException e) {
          return; // the page went away mid-write; its onClose removes it
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
