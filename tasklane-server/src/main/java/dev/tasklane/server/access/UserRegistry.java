package dev.tasklane.server.access;

import dev.tasklane.spi.AccessStore;
import dev.tasklane.spi.StoredUser;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Dashboard users: a name, a role, and a password kept only as an Argon2id hash. */
public final class UserRegistry {
  /** The shortest password accepted. */
  public static final int MIN_PASSWORD_LENGTH = 12;

  /** The longest: Argon2 would take more, but nobody types more, and it bounds the work. */
  public static final int MAX_PASSWORD_LENGTH = 1024;

  /**
   * Verified against when the name is unknown, so that a sign-in takes as long whether or not the
   * user exists: timing does not tell which names are taken.
   */
  private volatile String decoyHash;

  private final AccessStore store;
  private final InstantSource clock;
  private final PasswordHasher hasher;

  UserRegistry(AccessStore store, InstantSource clock, PasswordHasher hasher) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = clock;
    this.hasher = hasher;
  }

  /** Opens the registry on a store, for the command line. */
  public static UserRegistry on(AccessStore store) {
    return new UserRegistry(store, InstantSource.system(), new PasswordHasher());
  }

  /**
   * Adds a user.
   *
   * @throws IllegalArgumentException if the name or password breaks the rules, or the name is
   *     taken
   */
  public StoredUser create(String name, Role role, String password) {
    Names.check("user name", name);
    checkPassword(password);
    StoredUser user = new StoredUser(name, role.apiName(), hasher.hash(password), clock.instant());
    if (!store.insertUser(user)) {
      throw new IllegalArgumentException("a user named '" + name + "' exists already");
    }
    return user;
  }

  static void checkPassword(String password) {
    if (password == null
        || password.codePointCount(0, password.length()) < MIN_PASSWORD_LENGTH
        || password.length() > MAX_PASSWORD_LENGTH) {
      throw new IllegalArgumentException(
          "a password must be "
              + MIN_PASSWORD_LENGTH
              + " to "
              + MAX_PASSWORD_LENGTH
              + " characters long");
    }
  }

  /** Every user, by name. */
  public List<StoredUser> list() {
    return store.listUsers();
  }

  /** Deletes a user and signs out its sessions; false if there was none. */
  public boolean delete(String name) {
    return store.deleteUser(name);
  }

  private String decoyHash() {
    String decoy = decoyHash;
    if (decoy == null) {
      decoy = hasher.hash(Secrets.newSecret("decoy-"));
      decoyHash = decoy;
    }
    return decoy;
  }

  /** The user, if the name exists and the password is its own. */
  Optional<Principal> verify(String name, String password) {
    if (name == null || password == null || password.length() > MAX_PASSWORD_LENGTH) {
      return Optional.empty();
    }
    Optional<StoredUser> user = store.findUser(name);
    boolean matches =
        hasher.verify(password, user.map(StoredUser::passwordHash).orElseGet(this::decoyHash));
    if (user.isEmpty() || !matches) {
      return Optional.empty();
    }
    return Optional.of(
        new Principal(name, Role.fromApiName(user.get().role()), Principal.Via.SESSION, null, null));
  }
}
