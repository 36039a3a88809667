/**
 * Test helpers for Tasklane and its stores: {@link dev.tasklane.testkit.MutableClock}, the {@link
 * dev.tasklane.testkit.Fixtures} builder for new tasks, and {@link
 * dev.tasklane.testkit.TaskStoreContract}, the suite every store runs. Use it test-scoped.
 */
package dev.tasklane.testkit;
