/**
 * The measuring tool behind {@code tasklane bench}: named scenarios ({@link
 * dev.tasklane.bench.Scenario}) run against a fresh database of the chosen store, each reported as
 * one {@link dev.tasklane.bench.Result} row (a table or JSON lines).
 *
 * <p>Entry point: {@link dev.tasklane.bench.Bench#run()} with a {@link
 * dev.tasklane.bench.BenchConfig} and a {@link dev.tasklane.bench.BenchOutput}. Nothing here
 * changes how the engine, the stores or the server work: scenarios use only their public API, so
 * the same tool measures any version of them.
 */
package dev.tasklane.bench;
