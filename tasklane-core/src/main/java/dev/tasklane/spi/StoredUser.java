package dev.tasklane.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * A dashboard user: a name and a password, kept as a memory-hard hash.
 *
 * <p>Stability: SPI; may gain fields in minor releases.
 *
 * @param name the sign-in name, unique
 * @param role the role it acts with
 * @param passwordHash the password's hash in the PHC string format ({@code $argon2id$...}), which
 *     carries its own parameters and salt
 * @param createdAt when it was made
 */
public record StoredUser(String name, String role, String passwordHash, Instant createdAt) {
  public StoredUser {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(passwordHash, "passwordHash");
    Objects.requireNonNull(createdAt, "createdAt");
  }
}
