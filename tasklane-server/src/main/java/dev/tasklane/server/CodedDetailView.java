package dev.tasklane.server;

/**
 * An error body with a machine-readable {@code code} beside FastAPI's {@code detail}: the worker
 * protocol's conflicts ({@code stale_run}, {@code unknown_worker}, {@code worker_id_in_use}), which
 * a client must tell apart to know whether to drop a run or announce itself again.
 */
record CodedDetailView(String detail, String code) {}
