package dev.tasklane.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for a Tasklane server on a random loopback port: keeps each request body and answers
 * 200 (or a given status) with the JSON given for the request's path (or for {@code *}), so a test
 * can see exactly what a command sent, or feed it an answer the real server cannot give yet.
 */
final class RecordingServer implements AutoCloseable {
  private final HttpServer http;
  private final List<String> bodies = new CopyOnWriteArrayList<>();

  private RecordingServer(Map<String, String> answers) throws IOException {
    this(200, Map.of(), answers);
  }

  private RecordingServer(int status, Map<String, String> headers, Map<String, String> answers)
      throws IOException {
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext(
        "/",
        exchange -> {
          bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          String path = exchange.getRequestURI().getPath();
          byte[] bytes = answers.getOrDefault(path, answers.get("*")).getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          headers.forEach(exchange.getResponseHeaders()::add);
          exchange.sendResponseHeaders(status, bytes.length);
          exchange.getResponseBody().write(bytes);
          exchange.close();
        });
    http.start();
  }

  /** Answers every request with {@code json}. */
  static RecordingServer answering(String json) throws IOException {
    return new RecordingServer(Map.of("*", json));
  }

  /** Answers every request with {@code status}, {@code headers} and {@code json}. */
  static RecordingServer answering(int status, Map<String, String> headers, String json) throws IOException {
    return new RecordingServer(status, Map.copyOf(headers), Map.of("*", json));
  }

  /** Answers each path with its JSON. */
  static RecordingServer answering(Map<String, String> jsonByPath) throws IOException {
    return new RecordingServer(Map.copyOf(jsonByPath));
  }

  String url() {
    return "http://127.0.0.1:" + http.getAddress().getPort();
  }

  /** The request bodies received, in order. */
  List<String> bodies() {
    return List.copyOf(bodies);
  }

  @Override
  public void close() {
    http.stop(0);
  }
}
