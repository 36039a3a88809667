package dev.tasklane.server.access;

/**
 * A server asked to listen beyond loopback with no credential to ask for: it would answer anybody
 * who can reach its port, so it does not start.
 */
public final class InsecureStartException extends IllegalStateException {
  InsecureStartException(String message) {
    super(message);
  }
}
