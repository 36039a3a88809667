package dev.tasklane.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A network between a test's code and a server (a database), that the test can take down in the
 * two ways real networks fail:
 *
 * <ul>
 *   <li>refused: {@link #close()} (or not yet {@link #start()}ed) leaves a port nothing listens
 *       on, and cuts every connection: the client sees errors at once;
 *   <li>silent: {@link #blackHole()} forwards nothing more, in either direction, on existing
 *       connections or new ones (which are accepted and then hang), as when packets are dropped;
 *       the client sees nothing at all until its own timeouts fire. {@link #heal()} delivers
 *       everything held back and goes on forwarding, as a network does when a partition ends.
 * </ul>
 *
 * Each direction of each connection is pumped by a virtual thread.
 */
public final class TcpProxy implements AutoCloseable {
  private final String targetHost;
  private final int targetPort;
  private final int port;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final Object gate = new Object();
  private boolean silent; // guarded by gate
  private ServerSocket server;

  private TcpProxy(String targetHost, int targetPort, int port) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.port = port;
  }

  /** A proxy to {@code host:port}, not yet listening, on a port that nothing listens on. */
  public static TcpProxy to(String host, int port) {
    return new TcpProxy(host, port, freePort());
  }

  /** A loopback port nothing listens on (as long as nothing else grabs it meanwhile). */
  public static int freePort() {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The port the proxy listens on once started. */
  public int port() {
    return port;
  }

  /** Starts forwarding: from now on the server is reachable. */
  public synchronized TcpProxy start() throws IOException {
    server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    ServerSocket listening = server;
    Thread.ofVirtual()
        .start(
            () -> {
              while (!listening.isClosed()) {
                try {
                  Socket client = listening.accept();
                  sockets.add(client);
                  Thread.ofVirtual().start(() -> connect(client));
                } catch (IOException e) {
                  return; // closed
                }
              }
            });
    return this;
  }

  private void connect(Socket client) {
    try {
      awaitOpen();
      Socket upstream = new Socket(targetHost, targetPort);
      sockets.add(upstream);
      pump(client, upstream);
      pump(upstream, client);
    } catch (IOException | InterruptedException e) {
      closeQuietly(client);
    }
  }

  /** From now on nothing passes, in either direction, until {@link #heal()}. */
  public void blackHole() {
    synchronized (gate) {
      silent = true;
    }
  }

  /** Ends a {@link #blackHole()}: what was held back is delivered, and forwarding goes on. */
  public void heal() {
    synchronized (gate) {
      silent = false;
      gate.notifyAll();
    }
  }

  private void awaitOpen() throws InterruptedException {
    synchronized (gate) {
      while (silent) {
        gate.wait();
      }
    }
  }

  /** Stops listening and cuts every forwarded connection. Idempotent. */
  @Override
  public synchronized void close() throws IOException {
    heal();
    if (server != null) {
      server.close();
    }
    for (Socket s : sockets) {
      s.close();
    }
  }

  private void pump(Socket from, Socket to) {
    Thread.ofVirtual()
        .start(
            () -> {
              byte[] buffer = new byte[16 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                while (true) {
                  awaitOpen(); // a silent network reads nothing: the sender's data stays queued
                  int n = in.read(buffer);
                  if (n < 0) {
                    return;
                  }
                  awaitOpen(); // nor delivers what it read before the silence began
                  out.write(buffer, 0, n);
                  out.flush();
                }
              } catch (IOException | InterruptedException e) {
                // one side closed
              } finally {
                closeQuietly(to);
                closeQuietly(from);
              }
            });
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }
}
