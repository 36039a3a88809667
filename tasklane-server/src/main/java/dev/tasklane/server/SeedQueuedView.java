package dev.tasklane.server;

import java.util.UUID;

/**
 * The seed endpoints' answer, {@code {"status": "Task queued", "task_id": "..."}}: the article's
 * body plus the id, so the task can be followed up.
 */
record SeedQueuedView(String status, UUID taskId) {}
