package dev.tasklane.server.access;

import io.javalin.security.RouteRole;

/**
 * What a route needs. Every route the server registers names exactly one; a route registered
 * without one is refused to everybody (see {@link AccessGuard}), so a forgotten rule fails closed.
 */
public enum Permission implements RouteRole {
  /** Anybody, signed in or not: health, the API's description, the sign-in page. */
  PUBLIC,
  /** Read tasks, queues, nodes, explanations and the dashboard's event stream. */
  READ,
  /**
   * Read the tasks one submitted itself, and their explanations: the task routes, narrowed to the
   * caller's own tasks for a role without {@link #READ} (a task of another reads as not found).
   */
  READ_OWN,
  /** Submit tasks. */
  SUBMIT,
  /** Cancel, retry and run a task now. */
  CONTROL_TASKS,
  /** Pause, resume, limit and delete queues. */
  CONTROL_QUEUES,
  /**
   * Define, redefine, pause, resume, run and delete schedules (recurring tasks), whose tasks are
   * recorded as submitted by whoever defined them.
   */
  MANAGE_SCHEDULES,
  /** Scrape {@code /metrics}. */
  METRICS,
  /** Manage tokens and users, read the audit log. */
  MANAGE_ACCESS,
  /** Claim, heartbeat and complete tasks as a remote worker. */
  WORK
}
