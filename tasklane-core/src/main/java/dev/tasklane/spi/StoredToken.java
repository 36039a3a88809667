package dev.tasklane.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * An API token as the store keeps it: never the secret itself, only its hash.
 *
 * <p>Stability: SPI; may gain fields in minor releases.
 *
 * @param id a stable public identifier (shown in lists and the audit log; not a secret)
 * @param name what its owner called it, unique among tokens not revoked
 * @param role the role it acts with
 * @param secretHash the hash of its secret, by which a request's token is found
 * @param createdAt when it was made
 * @param expiresAt when it stops working; {@code null} for never
 * @param lastUsedAt when it was last accepted (updated at most once a minute); {@code null} if never
 * @param revokedAt when it was revoked; {@code null} while active
 */
public record StoredToken(
    String id,
    String name,
    String role,
    String secretHash,
    Instant createdAt,
    Instant expiresAt,
    Instant lastUsedAt,
    Instant revokedAt) {
  public StoredToken {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(secretHash, "secretHash");
    Objects.requireNonNull(createdAt, "createdAt");
  }

  /** Whether it may be used at {@code now}: neither revoked nor expired. */
  public boolean activeAt(Instant now) {
    return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
  }
}
