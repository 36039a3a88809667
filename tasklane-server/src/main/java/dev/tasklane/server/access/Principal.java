package dev.tasklane.server.access;

import java.util.Objects;

/**
 * Who a request acts as, once its credentials have been checked.
 *
 * @param name the token's or user's name, written to the audit log
 * @param role what it may do
 * @param via how it proved who it is
 * @param tokenId the token's id when it came with one (directly or through a session); else null
 * @param csrfToken the session's CSRF token when it came with a session cookie; else null
 * @param scope the task types and queues its token is limited to; {@link TokenScope#UNLIMITED}
 *     for none
 */
public record Principal(
    String name, Role role, Via via, String tokenId, String csrfToken, TokenScope scope) {

  /** A principal whose credential is not limited to types or queues. */
  public Principal(String name, Role role, Via via, String tokenId, String csrfToken) {
    this(name, role, via, tokenId, csrfToken, TokenScope.UNLIMITED);
  }

  /** How a request proved who it is. */
  public enum Via {
    /** Nothing: an open server on loopback with no credentials configured. */
    OPEN,
    /** An {@code Authorization: Bearer} token. */
    TOKEN,
    /** The dashboard's session cookie, with a CSRF token for every change. */
    SESSION
  }

  /** Who acts on an open loopback server: its local user, with every permission. */
  public static final Principal LOCAL = new Principal("local", Role.ADMIN, Via.OPEN, null, null);

  /**
   * Who this is as a task's submitter: {@code token:<id>} for a token (also through a session it
   * signed in), {@code user:<name>} for a user; {@code null} on an open server, where nobody in
   * particular acts.
   */
  public String submitterKey() {
    if (via == Via.OPEN) {
      return null;
    }
    return tokenId != null ? "token:" + tokenId : "user:" + name;
  }

  public Principal {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(via, "via");
    Objects.requireNonNull(scope, "scope");
  }
}
