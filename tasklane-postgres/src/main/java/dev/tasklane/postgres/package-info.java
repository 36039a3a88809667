/**
 * The cluster store: PostgreSQL, shared by every node of a cluster.
 *
 * <ul>
 *   <li>{@link dev.tasklane.postgres.PostgresTaskStore}: opens (and migrates) a schema, and adds
 *       wake-ups by {@code LISTEN}/{@code NOTIFY}, leader election by advisory lock, and inserts
 *       inside a caller's own transaction;
 *   <li>{@link dev.tasklane.postgres.PostgresOptions}: where the database is and how to use it;
 *   <li>{@link dev.tasklane.postgres.PostgresDialect}: the dialect, with its SQL in {@code
 *       db/postgres/queries.sql} and {@code db/postgres/migration/}.
 * </ul>
 */
package dev.tasklane.postgres;
