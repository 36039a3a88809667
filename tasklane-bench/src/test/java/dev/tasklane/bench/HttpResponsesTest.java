package dev.tasklane.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpResponsesTest {

  @Test
  void readsResponsesBackToBackOnOneKeepAliveConnection() throws IOException {
    InputStream in =
        stream(
            "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"id\":\"a\"}\n"
                + "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\ncontent-length: 2\r\n\r\n{}"
                + "HTTP/1.1 204 No Content\r\n\r\n"
                + "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");

    assertThat(HttpResponses.read(in)).isEqualTo(new HttpResponses.Response(202, true));
    assertThat(HttpResponses.read(in)).isEqualTo(new HttpResponses.Response(429, true));
    assertThat(HttpResponses.read(in)).isEqualTo(new HttpResponses.Response(204, true));
    assertThat(HttpResponses.read(in)).isEqualTo(new HttpResponses.Response(202, true));
    assertThat(in.read()).isEqualTo(-1);
  }

  @Test
  void skipsAChunkedBodyWithExtensionsAndTrailers() throws IOException {
    InputStream in =
        stream(
            "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;ext=1\r\nhello\r\n"
                + "A\r\n0123456789\r\n"
                + "0\r\nX-Trailer: yes\r\n\r\n"
                + "HTTP/1.1 503 Service Unavailable\nContent-Length: 3\n\nbad");

    assertThat(HttpResponses.read(in).status()).isEqualTo(202);
    assertThat(HttpResponses.read(in).status()).isEqualTo(503); // bare LF line ends too
    assertThat(in.read()).isEqualTo(-1);
  }

  @Test
  void connectionCloseAndHttp10EndTheConnection() throws IOException {
    assertThat(HttpResponses.read(stream("HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")))
        .isEqualTo(new HttpResponses.Response(202, false));
    assertThat(HttpResponses.read(stream("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")).keepAlive()).isFalse();
    assertThat(
            HttpResponses.read(stream("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"))
                .keepAlive())
        .isTrue();
  }

  @Test
  void aBodyWithoutLengthRunsToTheEndOfTheConnection() throws IOException {
    InputStream in = stream("HTTP/1.1 500 Server Error\r\n\r\nwhatever comes");

    assertThat(HttpResponses.read(in)).isEqualTo(new HttpResponses.Response(500, false));
    assertThat(in.read()).isEqualTo(-1);
  }

  @Test
  void aResponseCutShortOrNotHttpIsAnError() {
    assertThatThrownBy(() -> HttpResponses.read(stream("HTTP/1.1 202 Accepted\r\nContent-Length: 10\r\n\r\nabc")))
        .isInstanceOf(EOFException.class);
    assertThatThrownBy(() -> HttpResponses.read(stream(""))).isInstanceOf(EOFException.class);
    assertThatThrownBy(() -> HttpResponses.read(stream("SSH-2.0-OpenSSH\r\n\r\n")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not an HTTP status line");
  }

  @Test
  void theRequestIsAKeepAlivePostOfANoopTask() {
    String request = new String(HttpLoad.request("127.0.0.1", 8123), StandardCharsets.US_ASCII);

    assertThat(request)
        .isEqualTo(
            "POST /api/v1/tasks HTTP/1.1\r\nHost: 127.0.0.1:8123\r\nContent-Type: application/json\r\n"
                + "Content-Length: 15\r\n\r\n{\"type\":\"noop\"}");
  }

  private static InputStream stream(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1));
  }
}
