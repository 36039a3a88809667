package dev.tasklane.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * The CLI's HTTP client for a Tasklane server. Turns transport failures into {@link
 * CommandFailedException}s with exit code {@link ExitCodes#UNREACHABLE} and a hint on how to start a
 * server, and non-2xx answers into exit code {@link ExitCodes#FAILED} with the server's {@code
 * detail}.
 *
 * <p>It speaks through {@link HttpURLConnection}, not {@code java.net.http.HttpClient}: every
 * command is one short request in a fresh JVM, and {@code HttpClient} sets up TLS (the security
 * providers and the trusted certificates) even for an {@code http://} server, which was about half
 * of what a {@code tasklane status} cost (BENCHMARKS.md, "Start-up time").
 */
final class ApiClient {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final int CONNECT_TIMEOUT_MS = 5_000;
  private static final int READ_TIMEOUT_MS = 30_000;

  private final URI base;
  private final String token;
  private final SSLSocketFactory tls;

  /** A client of {@code base}, sending {@code token} as a bearer token unless it is null. */
  ApiClient(URI base, String token) {
    this(base, token, null);
  }

  /**
   * A client of {@code base} that, over HTTPS, trusts the certificates {@code tls} was made from
   * (see {@link #trusting}) instead of the JDK's; {@code null} for the JDK's.
   */
  ApiClient(URI base, String token, SSLSocketFactory tls) {
    this.base = base;
    this.token = token;
    this.tls = tls;
  }

  /**
   * Sockets that trust the PEM certificates in {@code pem} and the JDK's own authorities.
   *
   * @throws CommandFailedException if the file holds no certificate
   */
  static SSLSocketFactory trusting(java.nio.file.Path pem) {
    try {
      java.security.KeyStore extra = dev.tasklane.server.net.PemKeyStore.trustStore(pem);
      javax.net.ssl.TrustManagerFactory jdk =
          javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      jdk.init((java.security.KeyStore) null);
      for (javax.net.ssl.TrustManager m : jdk.getTrustManagers()) {
        if (m instanceof javax.net.ssl.X509TrustManager x) {
          int i = 0;
          for (java.security.cert.X509Certificate c : x.getAcceptedIssuers()) {
            extra.setCertificateEntry("jdk-" + i++, c);
          }
        }
      }
      javax.net.ssl.TrustManagerFactory both =
          javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      both.init(extra);
      javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
      context.init(null, both.getTrustManagers(), null);
      return context.getSocketFactory();
    } catch (IllegalArgumentException e) {
      throw new CommandFailedException(ExitCodes.USAGE, "--ca-cert: " + e.getMessage());
    } catch (java.security.GeneralSecurityException e) {
      throw new CommandFailedException(ExitCodes.FAILED, "--ca-cert: " + e.getMessage());
    }
  }

  /** A 2xx answer: its status, body and whether it replayed an earlier submission. */
  record Answer(int status, JsonNode body, boolean replayed) {}

  Answer get(String path) {
    return send("GET", path, null);
  }

  Answer delete(String path) {
    return send("DELETE", path, null);
  }

  Answer put(String path, JsonNode body) {
    return send("PUT", path, body.toString().getBytes(StandardCharsets.UTF_8));
  }

  Answer post(String path, JsonNode body) {
    return send("POST", path, body.toString().getBytes(StandardCharsets.UTF_8));
  }

  private Answer send(String method, String path, byte[] body) {
    int status;
    String text;
    String replayedHeader;
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(base + path).toURL().openConnection();
      if (tls != null && c instanceof HttpsURLConnection https) {
        https.setSSLSocketFactory(tls);
      }
      c.setRequestMethod(method);
      c.setConnectTimeout(CONNECT_TIMEOUT_MS);
      c.setReadTimeout(READ_TIMEOUT_MS);
      c.setInstanceFollowRedirects(false);
      c.setRequestProperty("Accept", "application/json");
      if (token != null) {
        c.setRequestProperty("Authorization", "Bearer " + token);
      }
      if (body != null) {
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", "application/json");
        // Streaming mode also stops the connection from sending a POST a second time on its own
        // after a broken keep-alive connection: a submission is sent once, or fails.
        c.setFixedLengthStreamingMode(body.length);
        try (OutputStream out = c.getOutputStream()) {
          out.write(body);
        }
      }
      status = c.getResponseCode();
      InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
      text = in == null ? "" : readAll(in);
      replayedHeader = c.getHeaderField("Idempotent-Replayed");
    } catch (javax.net.ssl.SSLException e) {
      throw new CommandFailedException(
          ExitCodes.FAILED,
          "cannot talk TLS with "
              + base
              + ": "
              + describe(e)
              + "\nIf the server's certificate is your own, trust it with --ca-cert FILE.pem (or"
              + " TASKLANE_CA_CERT)");
    } catch (IOException | IllegalArgumentException e) {
      throw new CommandFailedException(
          ExitCodes.UNREACHABLE,
          "cannot reach a Tasklane server at "
              + base
              + " ("
              + describe(e)
              + ").\nStart one with:  ./tasklane serve   (or point --server / TASKLANE_SERVER at"
              + " a running one)");
    }
    JsonNode json = parse(status, text);
    if (status >= 200 && status < 300) {
      return new Answer(status, json, "true".equals(replayedHeader));
    }
    throw new CommandFailedException(ExitCodes.FAILED, refusal(status, json));
  }

  private static String readAll(InputStream in) throws IOException {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private JsonNode parse(int status, String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new CommandFailedException(
          ExitCodes.FAILED, base + " answered " + status + " without JSON; is it a Tasklane server?");
    }
  }

  /** {@code server refused (422): body.priority: Input should be ... (got "x")}, one per line. */
  static String refusal(int status, JsonNode body) {
    StringBuilder s = new StringBuilder("server refused (").append(status).append(")");
    JsonNode detail = body == null ? null : body.get("detail");
    if (status == 401) {
      // HttpURLConnection may keep a 401's body to itself; the remedy is what matters.
      s.append(": ")
          .append(detail != null && detail.isTextual() ? detail.textValue() : "authentication required")
          .append("; send a token with --token or TASKLANE_TOKEN (tasklane token create)");
      return s.toString();
    }
    if (detail == null) {
      return s.toString();
    }
    if (detail.isTextual()) {
      return s.append(": ").append(detail.textValue()).toString();
    }
    for (JsonNode error : detail) {
      s.append("\n  ");
      JsonNode loc = error.get("loc");
      if (loc != null && loc.isArray()) {
        StringBuilder where = new StringBuilder();
        loc.forEach(part -> where.append(where.isEmpty() ? "" : ".").append(part.asText()));
        s.append(where).append(": ");
      }
      s.append(error.path("msg").asText());
      JsonNode input = error.get("input");
      if (input != null && !input.isNull() && !input.isContainerNode()) {
        s.append(" (got ").append(input).append(")");
      }
    }
    return s.toString();
  }

  private static String describe(Exception e) {
    String name = e.getClass().getSimpleName();
    if (e instanceof java.net.ConnectException) {
      return "connection refused";
    }
    if (e instanceof java.net.SocketTimeoutException) {
      return e.getMessage() != null && e.getMessage().contains("onnect")
          ? "connection timed out"
          : "no answer within " + READ_TIMEOUT_MS / 1000 + " s";
    }
    return e.getMessage() == null ? name : e.getMessage();
  }
}
