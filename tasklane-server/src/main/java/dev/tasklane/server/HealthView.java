package dev.tasklane.server;

/**
 * {@code GET /health}.
 *
 * @param status {@code "ok"} while the HTTP layer answers
 * @param store the configured store's name
 * @param nodeId the worker's node id, as written into leases
 * @param lifecycle the worker's lifecycle: {@code new}, {@code running}, {@code stopping}, {@code
 *     stopped}
 * @param inFlight handlers running on this node now
 * @param concurrency most handlers this node runs at once
 */
record HealthView(
    String status, String store, String nodeId, String lifecycle, int inFlight, int concurrency) {}
