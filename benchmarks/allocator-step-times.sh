#!/usr/bin/env bash
# Issue 8, item 6: the training step as an application runs it without any hand-set variable, against the tuned step.
# The trainer's own step (batch 128, Fashion-MNIST, the Quickstart's VGG-style network unless told otherwise) in three
# configurations, each in its own process (glibc reads its MALLOC_* variables at process start), interleaved round by round:
#   glibc    the C library's defaults: no variable and no NativeAllocator.UseTrainingSettings (--glibc-defaults)
#   opt-in   NativeAllocator.UseTrainingSettings() at start, no variable: what the Quickstart, examples and benchmarks do
#   env      the three MALLOC_* variables of BENCHMARKS.md set by hand, no opt-in call: the tuned reference
# Usage: bash benchmarks/allocator-step-times.sh [rounds (default 3)] [architectures (default vgg)] [batches per timed run (default 10)]
# Run it alone on the machine; OMP_NUM_THREADS, when set, applies to all three alike.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
architectures=${2:-vgg}
batches=${3:-10}
dotnet build benchmarks/Decoupling.Benchmarks -c Release -warnaserror -v q >/dev/null
bench=(dotnet benchmarks/Decoupling.Benchmarks/bin/Release/net10.0/Decoupling.Benchmarks.dll --steps-only --step-batches "$batches" --architectures "$architectures" --train-limit 6000)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for round in $(seq "$rounds"); do
  for config in glibc opt-in env; do
    case $config in
      glibc) "${bench[@]}" --glibc-defaults ;;
      opt-in) "${bench[@]}" ;;
      env) env MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=2147483648 MALLOC_TOP_PAD_=268435456 "${bench[@]}" --glibc-defaults ;;
    esac 2>/dev/null | sed -n "s/.*step time: | \([^|]*\) | \([0-9.]*\) | \([0-9.]*\) |.*/$config \1 \2 \3/p" | tee -a "$log"
  done
done
echo
echo "Median over $rounds rounds (ms per step, batch 128, torch threads ${OMP_NUM_THREADS:-default}; ratio = configuration / env):"
echo "| network | step | glibc defaults | opt-in (UseTrainingSettings) | MALLOC_* variables | glibc / variables | opt-in / variables |"
echo "|---|---|---|---|---|---|---|"
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
for net in $(awk '{ print $2 }' "$log" | sort -u); do
  for step in dense decoupled; do
    column=$([ "$step" = dense ] && echo 3 || echo 4)
    declare -A m=()
    for config in glibc opt-in env; do
      m[$config]=$(awk -v c="$config" -v n="$net" -v k="$column" '$1 == c && $2 == n { print $k }' "$log" | median)
    done
    awk -v n="$net" -v s="$step" -v g="${m[glibc]}" -v o="${m[opt-in]}" -v e="${m[env]}" \
        'BEGIN { printf "| %s | %s | %.1f | %.1f | %.1f | %.2f× | %.3f× |\n", n, s, g, o, e, g / e, o / e }'
  done
done
