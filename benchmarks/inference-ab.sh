#!/usr/bin/env bash
# Issue 18: the inference benchmark of two builds, run alternately (A B A B …) so that a slow phase of the machine hits both:
# BASE (a commit, built in a temporary git worktree) against the working tree. Each run writes its own results file as
# soon as it finishes (a cut-off sweep loses one run); a file that exists is skipped. Run it alone on the machine.
# Usage: bash benchmarks/inference-ab.sh BASE OUT_FOLDER ROUNDS -- <Decoupling.Benchmarks --inference options>
# e.g.   bash benchmarks/inference-ab.sh 7292ffa benchmarks/results/issue18-ab 2 -- --networks vgg16,resnet56,resnet20 --runs 40 ...
set -euo pipefail
cd "$(dirname "$0")/.."
base=$1 folder=$2 rounds=$3
shift 3
[ "${1:-}" = "--" ] && shift
mkdir -p "$folder"
tree=$(mktemp -d)
trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
git worktree add -q --detach "$tree" "$base"
dotnet build "$tree/benchmarks/Decoupling.Benchmarks" -c Release -v q > /dev/null
dotnet build benchmarks/Decoupling.Benchmarks -c Release -v q -warnaserror > /dev/null
cpu="$(lscpu | grep 'Model name' | sed 's/  */ /g'), family $(lscpu | awk -F: '/CPU family/ {gsub(/ /,"",$2); print $2}') model $(lscpu | awk -F: '/^Model:/ {gsub(/ /,"",$2); print $2}'), $(nproc) cores"
head=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Microsoft.ML.Decoupling benchmarks || echo "+changes")
for round in $(seq 1 "$rounds"); do
  for side in base head; do
    result="$folder/round$round-$side.md"
    if [ -f "$result" ]; then echo "skip (done): $result"; continue; fi
    dir=$([ "$side" = base ] && echo "$tree" || pwd)
    label=$([ "$side" = base ] && echo "$base" || echo "$head")
    echo "[$(date -u +%T)] round $round, $side ($label)"
    out=$(mktemp)
    (cd "$dir" && dotnet benchmarks/Decoupling.Benchmarks/bin/Release/net10.0/Decoupling.Benchmarks.dll --inference --runtimes onnx "$@" --output "$out" > /dev/null)
    { echo "Build: $label ($side). CPU: $cpu. Finished $(date -u +%FT%TZ)."; echo; cat "$out"; } > "$result.tmp" && mv "$result.tmp" "$result"
    rm -f "$out"
  done
done
