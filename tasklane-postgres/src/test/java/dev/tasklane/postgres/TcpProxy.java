package dev.tasklane.postgres;

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
 * A database that is down until the test says otherwise: a port with nothing listening on it,
 * which {@link #start()} turns into a plain TCP forwarder to the real server. Each direction of
 * each connection is pumped by a virtual thread.
 */
final class TcpProxy implements AutoCloseable {
  private final String targetHost;
  private final int targetPort;
  private final int port;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private ServerSocket server;

  private TcpProxy(String targetHost, int targetPort, int port) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.port = port;
  }

  /** A proxy to {@code host:port}, not yet listening, on a port that nothing listens on. */
  static TcpProxy to(String host, int port) {
    return new TcpProxy(host, port, freePort());
  }

  /** A loopback port nothing listens on (as long as nothing else grabs it meanwhile). */
  static int freePort() {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The port the proxy listens on once started. */
  int port() {
    return port;
  }

  /** Starts forwarding: from now on the "database" is up. */
  synchronized void start() throws IOException {
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
                  Socket upstream = new Socket(targetHost, targetPort);
                  sockets.add(client);
                  sockets.add(upstream);
                  pump(client, upstream);
                  pump(upstream, client);
                } catch (IOException e) {
                  return; // closed
                }
              }
            });
  }

  /** Stops listening and cuts every forwarded connection. Idempotent. */
  @Override
  public synchronized void close() throws IOException {
    if (server != null) {
      server.close();
    }
    for (Socket s : sockets) {
      s.close();
    }
  }

  private static void pump(Socket from, Socket to) {
    Thread.ofVirtual()
        .start(
            () -> {
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
              } catch (IOException e) {
                // the other side closed
              } finally {
                try {
                  to.close();
                  from.close();
                } catch (IOException ignored) {
                  // already closed
                }
              }
            });
  }
}
