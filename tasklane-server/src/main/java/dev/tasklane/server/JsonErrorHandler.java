package dev.tasklane.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own errors (a malformed request line, an ambiguous URI, headers too large), which are
 * answered before Javalin sees the request, in the same JSON shape as every other error instead of
 * Jetty's HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {
  private static final HttpField JSON =
      new HttpField(HttpHeader.CONTENT_TYPE, "application/json");

  JsonErrorHandler() {
    setShowStacks(false);
    setShowCauses(false);
  }

  @Override
  protected void generateResponse(
      Request request,
      Response response,
      int code,
      String message,
      Throwable cause,
      Callback callback) {
    response.getHeaders().put(JSON);
    response.write(true, ByteBuffer.wrap(body(code)), callback);
  }

  /** The reason phrase only: Jetty's message may echo parts of the request. */
  private static byte[] body(int status) {
    String reason = HttpStatus.getMessage(status);
    try {
      return ServerJson.MAPPER.writeValueAsBytes(new DetailView(reason));
    } catch (JsonProcessingException e) {
      return "{\"detail\":\"Error\"}".getBytes(StandardCharsets.UTF_8);
    }
  }
}
