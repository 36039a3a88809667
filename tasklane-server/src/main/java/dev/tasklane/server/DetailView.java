package dev.tasklane.server;

/**
 * FastAPI's error body, {@code {"detail": ...}}: a message, or a list of {@link FieldError}s.
 */
record DetailView(Object detail) {}
