package dev.tasklane.server;

import dev.tasklane.server.access.AccessConfig;
import dev.tasklane.server.net.TlsFiles;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link TasklaneServer} listens. Immutable; start from {@link #defaults()} and adjust with
 * the {@code with*} methods.
 *
 * @param bindAddress the address to listen on; default {@value #DEFAULT_BIND_ADDRESS} (loopback
 *     only; any other address needs a credential in the store, or an explicit {@link
 *     AccessConfig#openOnNetwork()})
 * @param port the TCP port, 0 to 65535; default {@value #DEFAULT_PORT}; 0 picks a free port (read
 *     it back with {@link TasklaneServer#port()})
 * @param storeName what {@code GET /health} reports as the store, e.g. {@code "sqlite"}
 * @param maxRequestBytes largest accepted request body; larger bodies get 413; default {@value
 *     #DEFAULT_MAX_REQUEST_BYTES} (1 MiB)
 * @param access who may reach the server and how (hosts, origins, sessions, sign-in limits)
 * @param tls the PEM files to serve HTTPS (and HTTP/2) with; {@code null} for plain HTTP
 * @param headerTimeout a client must send a request's line and headers within this; default
 *     {@link #DEFAULT_HEADER_TIMEOUT}
 * @param maxEventStreams most dashboard event streams open at once; past it a new one gets 503;
 *     default {@value #DEFAULT_MAX_EVENT_STREAMS}
 * @param maxQueues most queues the API lets clients create; past it a request naming a new queue
 *     gets 422; default {@value #DEFAULT_MAX_QUEUES}
 */
public record ServerConfig(
    String bindAddress,
    int port,
    String storeName,
    long maxRequestBytes,
    AccessConfig access,
    TlsFiles tls,
    Duration headerTimeout,
    int maxEventStreams,
    int maxQueues) {

  public static final String DEFAULT_BIND_ADDRESS = "127.0.0.1";
  public static final int DEFAULT_PORT = 8000;
  public static final long DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;
  public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
  public static final int DEFAULT_MAX_EVENT_STREAMS = 1000;
  public static final int DEFAULT_MAX_QUEUES = 1000;

  /**
   * @throws IllegalArgumentException if the port is outside 0..65535, the bind address or store
   *     name is blank, or the body limit is not positive
   */
  public ServerConfig {
    Objects.requireNonNull(bindAddress, "bindAddress");
    Objects.requireNonNull(storeName, "storeName");
    Objects.requireNonNull(access, "access");
    Objects.requireNonNull(headerTimeout, "headerTimeout");
    if (maxQueues < 1) {
      throw new IllegalArgumentException("maxQueues must be positive: " + maxQueues);
    }
    if (maxEventStreams < 1) {
      throw new IllegalArgumentException("maxEventStreams must be positive: " + maxEventStreams);
    }
    if (headerTimeout.isNegative() || headerTimeout.isZero()) {
      throw new IllegalArgumentException("headerTimeout must be positive: " + headerTimeout);
    }
    if (bindAddress.isBlank()) {
      throw new IllegalArgumentException("bindAddress must not be blank");
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
    }
    if (storeName.isBlank()) {
      throw new IllegalArgumentException("storeName must not be blank");
    }
    if (maxRequestBytes < 1) {
      throw new IllegalArgumentException("maxRequestBytes must be positive: " + maxRequestBytes);
    }
  }

  /**
   * Loopback, port {@value #DEFAULT_PORT}, store {@code "unknown"}, 1 MiB bodies, {@link
   * AccessConfig#defaults()}.
   */
  public static ServerConfig defaults() {
    return new ServerConfig(
        DEFAULT_BIND_ADDRESS,
        DEFAULT_PORT,
        "unknown",
        DEFAULT_MAX_REQUEST_BYTES,
        AccessConfig.defaults(),
        null,
        DEFAULT_HEADER_TIMEOUT,
        DEFAULT_MAX_EVENT_STREAMS,
        DEFAULT_MAX_QUEUES);
  }

  /** A copy listening on {@code address}, e.g. {@code 0.0.0.0} for every interface. */
  public ServerConfig withBindAddress(String address) {
    return new ServerConfig(address, port, storeName, maxRequestBytes, access, tls, headerTimeout, maxEventStreams, maxQueues);
  }

  /** A copy listening on {@code newPort}; {@code 0} picks a free port. */
  public ServerConfig withPort(int newPort) {
    return new ServerConfig(bindAddress, newPort, storeName, maxRequestBytes, access, tls, headerTimeout, maxEventStreams, maxQueues);
  }

  /** A copy whose {@code GET /health} names the store {@code name}. */
  public ServerConfig withStoreName(String name) {
    return new ServerConfig(bindAddress, port, name, maxRequestBytes, access, tls, headerTimeout, maxEventStreams, maxQueues);
  }

  /** A copy accepting request bodies of at most {@code bytes}. */
  public ServerConfig withMaxRequestBytes(long bytes) {
    return new ServerConfig(bindAddress, port, storeName, bytes, access, tls, headerTimeout, maxEventStreams, maxQueues);
  }

  /** A copy with these access rules. */
  public ServerConfig withAccess(AccessConfig rules) {
    return new ServerConfig(bindAddress, port, storeName, maxRequestBytes, rules, tls, headerTimeout, maxEventStreams, maxQueues);
  }

  /** A copy serving HTTPS (with HTTP/2) from these PEM files; {@code null} for plain HTTP. */
  public ServerConfig withTls(TlsFiles files) {
    return new ServerConfig(bindAddress, port, storeName, maxRequestBytes, access, files, headerTimeout, maxEventStreams, maxQueues);
  }

  /** A copy cutting off clients whose request head takes longer than {@code timeout}. */
  public ServerConfig withHeaderTimeout(Duration timeout) {
    return new ServerConfig(bindAddress, port, storeName, maxRequestBytes, access, tls, timeout, maxEventStreams, maxQueues);
  }

  /** A copy allowing at most {@code max} dashboard event streams at once. */
  public ServerConfig withMaxEventStreams(int max) {
    return new ServerConfig(bindAddress, port, storeName, maxRequestBytes, access, tls, headerTimeout, max, maxQueues);
  }

  /** A copy letting clients create at most {@code max} queues. */
  public ServerConfig withMaxQueues(int max) {
    return new ServerConfig(
        bindAddress, port, storeName, maxRequestBytes, access, tls, headerTimeout, maxEventStreams, max);
  }
}
