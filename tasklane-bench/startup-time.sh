#!/bin/sh
# Start-up time of `tasklane serve`: from launching the command to the first 200 of GET /health,
# on a database that already exists (a restart, as every start after the first is), RUNS times.
# Each run ends with SIGTERM and waits for the process to exit before the next one starts.
#
#   tasklane-bench/startup-time.sh [RUNS] [LAUNCHER]     defaults: 10, ./tasklane
#
# Prints one line per run in milliseconds, then min, median, mean and max. Polls every 10 ms, so a
# figure is at most about 10 ms late. Run it on a quiet machine; the launcher must already be built.
set -eu

runs=${1:-10}
launcher=${2:-./tasklane}
dir=$(mktemp -d)
port=$(( 20000 + $$ % 20000 ))
trap 'rm -rf "$dir"' EXIT

now_ms() { date +%s%3N; }

# One start to create and migrate the database, not counted.
"$launcher" serve --port "$port" --db "$dir/tasklane.db" >"$dir/log" 2>&1 &
pid=$!
until curl -fs -o /dev/null "http://127.0.0.1:$port/health"; do sleep 0.05; done
kill -TERM "$pid"
wait "$pid" || true

i=0
while [ "$i" -lt "$runs" ]; do
  i=$((i + 1))
  start=$(now_ms)
  "$launcher" serve --port "$port" --db "$dir/tasklane.db" >"$dir/log" 2>&1 &
  pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$port/health"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "serve exited early:" >&2
      cat "$dir/log" >&2
      exit 1
    fi
    sleep 0.01
  done
  end=$(now_ms)
  echo "run $i: $((end - start)) ms"
  echo "$((end - start))" >>"$dir/times"
  kill -TERM "$pid"
  wait "$pid" || true
done

sort -n "$dir/times" | awk '
  { t[NR] = $1; sum += $1 }
  END {
    median = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
    printf "min %d ms, median %d ms, mean %.0f ms, max %d ms (%d runs)\n", t[1], median, sum / NR, t[NR], NR
  }'
