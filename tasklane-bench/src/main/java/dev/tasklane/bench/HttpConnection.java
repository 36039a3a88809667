package dev.tasklane.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * One keep-alive HTTP/1.1 connection of the load generator, sending the same request again and
 * again, one at a time. Plain sockets rather than {@code java.net.http.HttpClient}, so that the
 * number of connections is exactly what was asked for and the client costs little CPU; it reopens
 * (and counts) when the server closes the connection or an error leaves it unusable. Confined to
 * one thread.
 */
final class HttpConnection implements AutoCloseable {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private final InetSocketAddress address;
  private final byte[] request;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private int opened;

  HttpConnection(InetSocketAddress address, byte[] request) {
    this.address = address;
    this.request = request.clone();
  }

  /** Connects now, if not connected. */
  void open() throws IOException {
    if (socket != null) {
      return;
    }
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.setSoTimeout((int) READ_TIMEOUT.toMillis());
      s.connect(address, (int) CONNECT_TIMEOUT.toMillis());
      in = new BufferedInputStream(s.getInputStream(), 8192);
      out = s.getOutputStream();
    } catch (IOException e) {
      s.close();
      throw e;
    }
    socket = s;
    opened++;
  }

  /**
   * Sends the request and reads the whole response.
   *
   * @return the response's status code
   * @throws IOException if the exchange fails; the connection is closed, and the next call opens
   *     a new one
   */
  int send() throws IOException {
    open();
    try {
      out.write(request);
      out.flush();
      HttpResponses.Response response = HttpResponses.read(in);
      if (!response.keepAlive()) {
        close();
      }
      return response.status();
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  /** How many times this connection was opened: 1 unless it had to reconnect. */
  int timesOpened() {
    return opened;
  }

  @Override
  public void close() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        // closing a socket we are done with: nothing to do about a failure
      }
      socket = null;
      in = null;
      out = null;
    }
  }
}
