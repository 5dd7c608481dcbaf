#!/usr/bin/env bash
# The Fashion-MNIST Quickstart of an earlier commit against the working tree's, interleaved round by round: test accuracy,
# epoch time, wall time and whether the written network and paths are byte-identical. Used for issue 11 (streaming
# training must not change or slow the in-memory path).
# Usage: bash benchmarks/quickstart-compare.sh <base commit> [rounds (default 2)] [--train-limit N (default 10000)] [--epochs N (default 1)]
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?base commit}
rounds=${2:-2}
limit=${3:-10000}
epochs=${4:-1}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base-tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -q "$work/base-tree" "$base"
dotnet build "$work/base-tree/examples/Quickstart" -c Release -v q -o "$work/base-bin" >/dev/null
dotnet build examples/Quickstart -c Release -v q -o "$work/head-bin" >/dev/null
echo "| round | build | test accuracy | epoch time | wall time | network.onnx, paths.csv (md5) |"
echo "|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  for v in base head; do
    out="$work/out-$v-$round"
    start=$(date +%s.%N)
    dotnet "$work/$v-bin/Quickstart.dll" --dataset fashion-mnist --train-limit "$limit" --epochs "$epochs" --output "$out" > "$work/$v-$round.log" 2>&1
    wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f", e - s }')
    accuracy=$(grep -o '"test_accuracy": *[0-9.]*' "$out/metrics.json" | grep -o '[0-9.]*$')
    epoch=$(grep -o "epoch $epochs/$epochs lr.*\[[0-9.]*s\]" "$work/$v-$round.log" | grep -o "\[[0-9.]*s\]" | tail -1)
    sums=$(md5sum "$out/network.onnx" "$out/paths.csv" | awk '{ printf "%s ", substr($1, 1, 8) }')
    printf "| %s | %s | %s | %s | %.1f s | %s|\n" "$round" "$v" "$accuracy" "$epoch" "$wall" "$sums"
  done
done
