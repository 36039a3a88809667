package dev.tasklane.server.access;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** What a token or user may do: a fixed set of {@link Permission}s. */
public enum Role {
  /** Everything, including tokens, users and the audit log. */
  ADMIN(EnumSet.allOf(Permission.class), true),
  /**
   * Reads, and acts on tasks, queues and schedules: cancel, retry, run now, pause, resume, limits,
   * define schedules.
   */
  OPERATOR(
      EnumSet.of(
          Permission.READ,
          Permission.METRICS,
          Permission.CONTROL_TASKS,
          Permission.CONTROL_QUEUES,
          Permission.MANAGE_SCHEDULES),
      true),
  /** Submits tasks, and reads the tasks it submitted. */
  SUBMITTER(EnumSet.of(Permission.SUBMIT, Permission.READ_OWN), false),
  /** A remote worker: claims and completes tasks, nothing else. */
  WORKER(EnumSet.of(Permission.WORK), false),
  /** Reads everything a page shows, and scrapes metrics; changes nothing. */
  READER(EnumSet.of(Permission.READ, Permission.METRICS), false);

  private final Set<Permission> permissions;
  private final boolean seesInternals;

  Role(Set<Permission> permissions, boolean seesInternals) {
    this.permissions = permissions;
    this.seesInternals = seesInternals;
  }

  /** Whether it may do what {@code p} guards. */
  public boolean may(Permission p) {
    return p == Permission.PUBLIC
        || permissions.contains(p)
        || (p == Permission.READ_OWN && permissions.contains(Permission.READ));
  }

  /** Its permissions, in declaration order. */
  public Set<Permission> permissions() {
    return EnumSet.copyOf(permissions);
  }

  /**
   * Whether it sees what tells an attacker about the machines: failed runs' stack traces and
   * nodes' host names. Roles that operate the system do; the others see messages only.
   */
  public boolean seesInternals() {
    return seesInternals;
  }

  /** Its name in the API and on the command line, e.g. {@code operator}. */
  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Every role's API name. */
  public static List<String> apiNames() {
    return Arrays.stream(values()).map(Role::apiName).toList();
  }

  /**
   * The role with this API name.
   *
   * @throws IllegalArgumentException if there is none
   */
  public static Role fromApiName(String name) {
    for (Role r : values()) {
      if (r.apiName().equals(name)) {
        return r;
      }
    }
    throw new IllegalArgumentException(
        "unknown role '" + name + "': one of " + String.join(", ", apiNames()));
  }
}
