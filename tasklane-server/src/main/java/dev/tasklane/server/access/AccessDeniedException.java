package dev.tasklane.server.access;

import java.util.Map;

/**
 * A request refused before its route runs: no credential (401), the wrong role or a missing CSRF
 * token (403), a foreign host or origin, a body that is not JSON (415), too many failed sign-ins
 * (429). Carries the status, the sentence for {@code {"detail": ...}}, and headers to add. Never
 * logged with a stack trace: it is the client's doing.
 */
public final class AccessDeniedException extends RuntimeException {
  private final int status;
  private final Map<String, String> headers;

  AccessDeniedException(int status, String detail) {
    this(status, detail, Map.of());
  }

  AccessDeniedException(int status, String detail, Map<String, String> headers) {
    super(detail, null, false, false);
    this.status = status;
    this.headers = Map.copyOf(headers);
  }

  public int status() {
    return status;
  }

  /** Headers the answer must carry, e.g. {@code WWW-Authenticate} or {@code Retry-After}. */
  public Map<String, String> headers() {
    return headers;
  }
}
