/**
 * The task store over JDBC, shared by the SQL dialects.
 *
 * <ul>
 *   <li>{@link dev.tasklane.jdbc.JdbcTaskStore}: the operations and the row mapping;
 *   <li>{@link dev.tasklane.jdbc.SqlDialect}: what differs between databases, with each dialect's
 *       SQL in {@code db/<dialect>/queries.sql} and {@code db/<dialect>/migration/};
 *   <li>{@link dev.tasklane.jdbc.Queries} and {@link dev.tasklane.jdbc.QueryName}: the named
 *       statements, checked complete at startup;
 *   <li>{@link dev.tasklane.jdbc.TransactionRunner}: how a database hands out transactions;
 *   <li>{@link dev.tasklane.jdbc.SchemaMigrator}: Flyway migrations, run on every open.
 * </ul>
 */
package dev.tasklane.jdbc;
