#!/usr/bin/env bash
# Issue 18: the inference benchmark of two builds, run alternately (base, then the working tree, round after round) so that
# a slow phase of the machine hits both: BASE (a commit, built in a temporary git worktree) against the working tree. Each
# run writes its own results file as soon as it finishes (a cut-off sweep loses one run); a file that exists is skipped.
# Run it alone on the machine.
# Usage: bash benchmarks/inference-ab.sh BASE OUT_FOLDER ROUNDS -- <Decoupling.Benchmarks --inference options>
# e.g.   bash benchmarks/inference-ab.sh 7292ffa benchmarks/results/issue18-ab 2 -- --networks vgg16,resnet56,resnet20 --runs 40 ...
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 3 ] || ! [[ $3 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bash benchmarks/inference-ab.sh BASE OUT_FOLDER ROUNDS -- <--inference options>; ROUNDS a positive integer" >&2
  exit 2
fi
base=$1 folder=$2 rounds=$3
shift 3
[ "${1:-}" = "--" ] && shift
git rev-parse --verify --quiet "$base^{commit}" > /dev/null || { echo "inference-ab: '$base' is not a commit" >&2; exit 2; }
mkdir -p "$folder"
tree=$(mktemp -d) log=$(mktemp) out=$(mktemp)
cleanup() { git worktree remove --force "$tree" > /dev/null 2>&1 || true; rm -rf "$tree" "$log" "$out"; git worktree prune; }
trap cleanup EXIT
git worktree add -q --detach "$tree" "$base"
build() { dotnet build "$1" -c Release -v q > "$log" 2>&1 || { cat "$log" >&2; echo "inference-ab: build of $1 failed" >&2; exit 1; }; }
build "$tree/benchmarks/Decoupling.Benchmarks"
build benchmarks/Decoupling.Benchmarks
field() { lscpu | awk -F: -v key="$1" '$1 == key { gsub(/^ +| +$/, "", $2); print $2 }'; }
cpu="$(field 'Model name'), family $(field 'CPU family') model $(field 'Model') stepping $(field 'Stepping'), $(nproc) cores"
# The working tree's label: its commit, and "+changes" when the library or the benchmarks differ from it (untracked files too).
head=$(git rev-parse --short HEAD)$([ -z "$(git status --porcelain -- Microsoft.ML.Decoupling benchmarks/Decoupling.Benchmarks)" ] || echo "+changes")
for round in $(seq 1 "$rounds"); do
  for side in base head; do
    result="$folder/round$round-$side.md"
    if [ -f "$result" ]; then echo "skip (done): $result"; continue; fi
    dir=$([ "$side" = base ] && echo "$tree" || pwd)
    label=$([ "$side" = base ] && echo "$base" || echo "$head")
    echo "[$(date -u +%T)] round $round, $side ($label)"
    (cd "$dir" && dotnet benchmarks/Decoupling.Benchmarks/bin/Release/net10.0/Decoupling.Benchmarks.dll --inference --runtimes onnx "$@" --output "$out" > "$log" 2>&1) \
      || { cat "$log" >&2; echo "inference-ab: the $side run failed" >&2; exit 1; }
    { echo "Build: $label ($side). CPU: $cpu. Finished $(date -u +%FT%TZ)."; echo; cat "$out"; } > "$result.tmp" && mv "$result.tmp" "$result"
  done
done
