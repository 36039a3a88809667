package dev.tasklane.bench;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads one HTTP/1.1 response off a keep-alive connection: the status, and the body skipped
 * whichever way it is framed ({@code Content-Length}, chunked, or until the connection closes), so
 * the next response can be read after it.
 */
final class HttpResponses {
  private static final int MAX_LINE = 16 * 1024;

  private HttpResponses() {}

  /**
   * A response's status and whether the connection may carry another request.
   *
   * @param status the status code, e.g. 202
   * @param keepAlive false when the server closes the connection after this response
   */
  record Response(int status, boolean keepAlive) {}

  /**
   * Reads one response, body included.
   *
   * @throws EOFException if the connection ends before the response does
   * @throws IOException if the response is not HTTP, or reading fails
   */
  static Response read(InputStream in) throws IOException {
    String statusLine = readLine(in);
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
      throw new IOException("not an HTTP status line: '" + statusLine + "'");
    }
    int status;
    try {
      status = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IOException("not an HTTP status line: '" + statusLine + "'", e);
    }
    boolean keepAlive = !parts[0].equals("HTTP/1.0");
    long contentLength = -1;
    boolean chunked = false;
    for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IOException("malformed header line: '" + line + "'");
      }
      String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).strip().toLowerCase(Locale.ROOT);
      switch (name) {
        case "content-length" -> contentLength = Long.parseLong(value);
        case "transfer-encoding" -> chunked = value.contains("chunked");
        case "connection" -> {
          if (value.contains("close")) {
            keepAlive = false;
          } else if (value.contains("keep-alive")) {
            keepAlive = true;
          }
        }
        default -> {
          // other headers do not change how the body is framed
        }
      }
    }
    boolean noBody = status / 100 == 1 || status == 204 || status == 304;
    if (noBody) {
      return new Response(status, keepAlive);
    }
    if (chunked) {
      skipChunks(in);
    } else if (contentLength >= 0) {
      in.skipNBytes(contentLength);
    } else {
      // Neither length nor chunks: the body runs until the server closes the connection.
      in.transferTo(OutputStreamSink.INSTANCE);
      keepAlive = false;
    }
    return new Response(status, keepAlive);
  }

  private static void skipChunks(InputStream in) throws IOException {
    while (true) {
      String sizeLine = readLine(in);
      int semicolon = sizeLine.indexOf(';');
      String hex = (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).strip();
      long size;
      try {
        size = Long.parseLong(hex, 16);
      } catch (NumberFormatException e) {
        throw new IOException("bad chunk size '" + sizeLine + "'", e);
      }
      if (size == 0) {
        // Trailer fields, if any, then the empty line that ends the message.
        while (!readLine(in).isEmpty()) {
          // skip
        }
        return;
      }
      in.skipNBytes(size);
      if (!readLine(in).isEmpty()) {
        throw new IOException("chunk of " + size + " bytes not followed by CRLF");
      }
    }
  }

  /** One line without its CRLF (or bare LF). */
  static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(64);
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed in the middle of a response");
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
      }
      if (line.size() >= MAX_LINE) {
        throw new IOException("response line longer than " + MAX_LINE + " bytes");
      }
      line.write(b);
    }
  }

  /** Discards what is written to it. */
  private static final class OutputStreamSink extends java.io.OutputStream {
    static final OutputStreamSink INSTANCE = new OutputStreamSink();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }
}
