package dev.tasklane.server;

import dev.tasklane.WorkerStats;

/**
 * {@code GET /health}: 200 while the node and its database answer, 503 while the database does
 * not (the node keeps its running handlers and reconnects on its own).
 *
 * @param status {@code "ok"}, or {@code "degraded"} while the database is unreachable
 * @param store the configured store's name
 * @param database {@code "up"} or {@code "down"}
 * @param databaseError why the database check failed, or {@code null}
 * @param nodeId the worker's node id, as written into leases
 * @param leader whether this node runs cluster maintenance now
 * @param lifecycle the worker's lifecycle: {@code new}, {@code running}, {@code stopping}, {@code
 *     stopped}
 * @param inFlight handlers running on this node now
 * @param concurrency most handlers this node runs at once
 * @param stats what this node did since it started
 */
record HealthView(
    String status,
    String store,
    String database,
    String databaseError,
    String nodeId,
    boolean leader,
    String lifecycle,
    int inFlight,
    int concurrency,
    WorkerStats stats) {}
