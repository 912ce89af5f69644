#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 600) each, one after the
# other, starting from the committed seeds, and prints libFuzzer's summary
# line of each. Needs a nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo install cargo-fuzz
#   fuzz/run.sh 600
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
for target in template query response notify xml keys; do
  mkdir -p "corpus/$target"
  log="$(mktemp)"
  if cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
      -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    outcome="clean"
  else
    outcome="FINDING (see fuzz/artifacts/$target)"
  fi
  runs="$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1 || true)"
  cov="$(grep -E '#[0-9]+ +DONE' "$log" | tail -1 || true)"
  corpus="$(find "corpus/$target" -type f | wc -l)"
  echo "$target: $outcome; executions ${runs:-?}; corpus $corpus files; ${cov}"
  if [ "$outcome" != clean ]; then tail -40 "$log"; fi
  rm -f "$log"
done
