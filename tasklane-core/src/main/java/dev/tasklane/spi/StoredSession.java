package dev.tasklane.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * A signed-in dashboard session. Its secret travels only in the browser's cookie; the store keeps
 * its hash.
 *
 * <p>Stability: SPI; may gain fields in minor releases.
 *
 * @param secretHash the hash of the cookie's secret
 * @param principal who signed in: a user name, or a token's name
 * @param role the role it acts with
 * @param tokenId the token it signed in with, so that revoking the token ends the session; {@code
 *     null} for a user's password sign-in
 * @param csrfToken the value every state-changing request of the session must carry in a header
 * @param createdAt when it signed in (its absolute timeout counts from here)
 * @param lastSeenAt its latest request (its idle timeout counts from here)
 */
public record StoredSession(
    String secretHash,
    String principal,
    String role,
    String tokenId,
    String csrfToken,
    Instant createdAt,
    Instant lastSeenAt) {
  public StoredSession {
    Objects.requireNonNull(secretHash, "secretHash");
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(csrfToken, "csrfToken");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(lastSeenAt, "lastSeenAt");
  }
}
