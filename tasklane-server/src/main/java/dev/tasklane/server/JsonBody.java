package dev.tasklane.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a request body as one JSON object, and turns every way it can fail into the answer FastAPI
 * would send: a 422 in its shape for a body that is not a JSON object, as FastAPI answers a JSON
 * model sent as {@code text/plain}, a form or with no {@code Content-Type} (which is also what keeps
 * a cross-site HTML form from submitting tasks: a browser sends JSON only after asking); {@code
 * 415} for a charset no decoder knows; {@code 400} for a body that ended before its announced
 * length.
 */
final class JsonBody {
  /** {@code application/json} and every {@code application/*+json}, as FastAPI accepts them. */
  private static final Pattern JSON_MEDIA_TYPE =
      Pattern.compile("application/(json|[^;/\\s]+\\+json)", Pattern.CASE_INSENSITIVE);

  private static final Pattern CHARSET_PARAMETER =
      Pattern.compile(";\\s*charset\\s*=\\s*(\"[^\"]*\"|[^;\\s]*)", Pattern.CASE_INSENSITIVE);

  /** Jackson appends where an unclosed array or object started; the offset already says where. */
  private static final Pattern START_MARKER = Pattern.compile("\\s*\\(start marker at .*\\)\\s*$");

  private JsonBody() {}

  /**
   * The body as a JSON object.
   *
   * @throws RequestValidationException {@code missing} for an empty body or {@code null}, {@code
   *     json_invalid} with the character offset for malformed JSON, {@code model_attributes_type}
   *     for any other JSON value
   * @throws io.javalin.http.HttpResponseException 413 when the body passes the configured limit
   */
  static ObjectNode readObject(Context ctx) {
    String contentType = ctx.header("Content-Type");
    Charset charset = charset(contentType);
    byte[] bytes = bytes(ctx);
    if (bytes.length == 0) {
      throw missingBody();
    }
    String text = decode(bytes, charset);
    if (!isJson(contentType)) {
      // FastAPI validates such a body as it is, text, against the model: a dictionary was expected.
      throw notAnObject(JsonNodeFactory.instance.textNode(text));
    }
    if (text.isBlank()) {
      throw missingBody();
    }
    JsonNode node;
    try {
      node = ServerJson.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new RequestValidationException(invalidJson(e));
    }
    if (node == null || node.isMissingNode() || node.isNull()) {
      throw missingBody();
    }
    if (!node.isObject()) {
      throw notAnObject(node);
    }
    return (ObjectNode) node;
  }

  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';');
    String mediaType = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip();
    return JSON_MEDIA_TYPE.matcher(mediaType).matches();
  }

  /** The charset the Content-Type names, UTF-8 if none (JSON's own, RFC 8259). */
  private static Charset charset(String contentType) {
    if (contentType == null) {
      return StandardCharsets.UTF_8;
    }
    Matcher m = CHARSET_PARAMETER.matcher(contentType);
    if (!m.find()) {
      return StandardCharsets.UTF_8;
    }
    String name = m.group(1);
    if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
      name = name.substring(1, name.length() - 1);
    }
    try {
      return Charset.forName(name.strip());
    } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
      throw new ClientErrorException(
          415,
          "Unsupported charset '"
              + LogText.quote(name, 40)
              + "' in Content-Type: send JSON as UTF-8 (Content-Type: application/json)");
    } catch (IllegalArgumentException e) { // an empty name
      throw new ClientErrorException(
          415, "Empty charset in Content-Type: send JSON as UTF-8 (Content-Type: application/json)");
    }
  }

  /**
   * The body's bytes. A body cut short (its connection half-closed before the announced length, a
   * malformed chunk) is the client's mistake, answered 400, never a server error.
   */
  private static byte[] bytes(Context ctx) {
    try {
      return ctx.bodyAsBytes();
    } catch (HttpResponseException e) {
      throw e; // 413 for a body past the limit
    } catch (Exception e) { // Jetty's EofException and BadMessageException, thrown unchecked
      if (tooSlow(e)) {
        throw new ClientErrorException(
            408,
            "The request body arrived too slowly: send it at "
                + dev.tasklane.server.net.Connectors.MIN_REQUEST_BYTES_PER_SECOND
                + " bytes a second or faster");
      }
      throw new ClientErrorException(
          400, "The request body ended before it was complete (Content-Length or chunking is wrong)");
    }
  }

  /** Jetty's refusal of a body slower than the connector's minimum data rate. */
  private static boolean tooSlow(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.eclipse.jetty.http.BadMessageException bad && bad.getCode() == 408) {
        return true;
      }
      if (String.valueOf(t.getMessage()).contains("data rate")) {
        return true;
      }
    }
    return false;
  }

  private static String decode(byte[] bytes, Charset charset) {
    try {
      return charset
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      Map<String, Object> ctx = new LinkedHashMap<>();
      ctx.put("error", "the body is not valid " + charset.name().toUpperCase(Locale.ROOT));
      throw new RequestValidationException(
          new FieldError(
              "json_invalid",
              List.of("body", 0),
              "JSON decode error",
              JsonNodeFactory.instance.objectNode(),
              ctx));
    }
  }

  private static RequestValidationException notAnObject(JsonNode input) {
    return new RequestValidationException(
        new FieldError(
            "model_attributes_type",
            List.of("body"),
            "Input should be a valid dictionary or object to extract fields from",
            input,
            null));
  }

  private static RequestValidationException missingBody() {
    return new RequestValidationException(
        new FieldError("missing", List.of("body"), "Field required", null, null));
  }

  private static FieldError invalidJson(JsonProcessingException e) {
    long offset = e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getCharOffset());
    String reason = e.getOriginalMessage();
    reason = reason == null ? "malformed JSON" : START_MARKER.matcher(reason).replaceAll("");
    Map<String, Object> ctx = new LinkedHashMap<>();
    ctx.put("error", reason);
    // FastAPI reports the offending position as the second loc element and an empty input.
    return new FieldError(
        "json_invalid",
        List.of("body", offset),
        "JSON decode error",
        JsonNodeFactory.instance.objectNode(),
        ctx);
  }
}
