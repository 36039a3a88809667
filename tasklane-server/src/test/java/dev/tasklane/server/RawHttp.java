package dev.tasklane.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * HTTP/1.1 written byte by byte over a socket, for requests no HTTP client will send: a charset
 * that is not ASCII, a body shorter than its Content-Length, a broken chunk, a half-closed
 * connection. Each exchange uses its own connection ({@code Connection: close}).
 */
final class RawHttp {
  private RawHttp() {}

  /** What came back; {@code status} is 0 when the server closed without answering. */
  record Answer(int status, String head, String body) {
    JsonNode json() {
      try {
        return ServerFixture.JSON.readTree(body);
      } catch (JsonProcessingException e) {
        throw new AssertionError("response is not JSON: " + body, e);
      }
    }
  }

  /** A request with the given head lines (no final blank line) and body, ending the head itself. */
  static byte[] request(String method, String target, String headLines, byte[] body) {
    String head =
        method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            + (headLines.isEmpty() ? "" : headLines + "\r\n")
            + "\r\n";
    byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
    byte[] out = new byte[h.length + body.length];
    System.arraycopy(h, 0, out, 0, h.length);
    System.arraycopy(body, 0, out, h.length, body.length);
    return out;
  }

  /**
   * Sends {@code request}, half-closes the connection if asked (the client says it sends nothing
   * more), and reads the answer until the server closes or {@code timeout} passes.
   */
  static Answer exchange(int port, byte[] request, boolean halfClose, Duration timeout)
      throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
      socket.setSoTimeout((int) timeout.toMillis());
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request);
        out.flush();
        if (halfClose) {
          socket.shutdownOutput();
        }
      } catch (IOException e) {
        // The server may answer and close before the whole request is written.
      }
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[8192];
      try {
        for (int n; (n = in.read(buf)) > 0; ) {
          got.write(buf, 0, n);
        }
      } catch (SocketTimeoutException e) {
        if (got.size() == 0) {
          throw e;
        }
      } catch (IOException e) {
        // reset after the answer: keep what came
      }
      return parse(got.toByteArray());
    }
  }

  static Answer parse(byte[] raw) {
    String all = new String(raw, StandardCharsets.ISO_8859_1);
    int end = all.indexOf("\r\n\r\n");
    if (!all.startsWith("HTTP/1.") || end < 0) {
      return new Answer(0, all, "");
    }
    String head = all.substring(0, end);
    int status = Integer.parseInt(head.substring(9, 12));
    byte[] body = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
    if (head.toLowerCase(Locale.ROOT).contains("transfer-encoding: chunked")) {
      body = dechunk(body);
    }
    return new Answer(status, head, new String(body, StandardCharsets.UTF_8));
  }

  private static byte[] dechunk(byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int i = 0;
    while (i < body.length) {
      int lineEnd = indexOf(body, i);
      if (lineEnd < 0) {
        break;
      }
      String size = new String(body, i, lineEnd - i, StandardCharsets.ISO_8859_1).split(";")[0].strip();
      int n = Integer.parseInt(size, 16);
      if (n == 0) {
        break;
      }
      out.write(body, lineEnd + 2, Math.min(n, body.length - lineEnd - 2));
      i = lineEnd + 2 + n + 2;
    }
    return out.toByteArray();
  }

  private static int indexOf(byte[] b, int from) {
    for (int i = from; i + 1 < b.length; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n') {
        return i;
      }
    }
    return -1;
  }
}
