#!/usr/bin/env bash
# The cost of the CPU convolution workaround (README, "CPU convolution fault"), as step-time ratios measured on this
# machine: the trainer's own step (batch 128, Fashion-MNIST) in three configurations, each in its own process
# (oneDNN's instruction-set limit is fixed per process), interleaved round by round:
#   default  libtorch's defaults (on a faulty CPU these steps compute wrong values; only their time is used here)
#   sse41    DNNL_MAX_CPU_ISA=SSE41, what later processes on a faulty machine use
#   off      oneDNN switched off, what the process that first finds the fault uses
# Usage: [ALLOCATOR=tuned] bash benchmarks/convolution-workaround-cost.sh [rounds (default 3)] [architectures (default vgg,resnet20)] [batches per timed run (default 20)]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
architectures=${2:-vgg,resnet20}
batches=${3:-20}
dotnet build benchmarks/Decoupling.Benchmarks -c Release -warnaserror -v q >/dev/null
# ALLOCATOR=tuned: the allocator settings of the step-time command in BENCHMARKS.md; ALLOCATOR=default (the default):
# glibc's own, as most applications run (libtorch's own kernels, used with oneDNN off, allocate per call and suffer).
if [ "${ALLOCATOR:-default}" = tuned ]; then
  export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=2147483648 MALLOC_TOP_PAD_=268435456
fi
bench=(dotnet benchmarks/Decoupling.Benchmarks/bin/Release/net10.0/Decoupling.Benchmarks.dll --steps-only --step-batches "$batches" --architectures "$architectures")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for round in $(seq "$rounds"); do
  for config in default sse41 off; do
    case $config in
      default) env DECOUPLING_CONVOLUTION_CHECK=skip "${bench[@]}" ;;
      sse41) env DECOUPLING_CONVOLUTION_CHECK=skip DNNL_MAX_CPU_ISA=SSE41 "${bench[@]}" ;;
      off) env DECOUPLING_CONVOLUTION_CHECK=skip "${bench[@]}" --onednn off ;;
    esac 2>/dev/null | sed -n "s/.*step time: | \([^|]*\) | \([0-9.]*\) | \([0-9.]*\) |.*/$config \1 \2 \3/p" | tee -a "$log"
  done
done
echo
echo "Median over $rounds rounds (ms per step, batch 128; ratio = configuration / default):"
echo "| network | default dense | default decoupled | SSE4.1 dense | SSE4.1 decoupled | SSE4.1 / default (dense, decoupled) | oneDNN off dense | oneDNN off decoupled | oneDNN off / default (dense, decoupled) |"
echo "|---|---|---|---|---|---|---|---|---|"
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
for net in $(awk '{ print $2 }' "$log" | sort -u); do
  declare -A m=()
  for config in default sse41 off; do
    m[$config-dense]=$(awk -v c="$config" -v n="$net" '$1 == c && $2 == n { print $3 }' "$log" | median)
    m[$config-gated]=$(awk -v c="$config" -v n="$net" '$1 == c && $2 == n { print $4 }' "$log" | median)
  done
  awk -v n="$net" -v dd="${m[default-dense]}" -v dg="${m[default-gated]}" -v sd="${m[sse41-dense]}" -v sg="${m[sse41-gated]}" \
      -v od="${m[off-dense]}" -v og="${m[off-gated]}" \
      'BEGIN { printf "| %s | %.1f | %.1f | %.1f | %.1f | %.2f×, %.2f× | %.1f | %.1f | %.2f×, %.2f× |\n", n, dd, dg, sd, sg, sd / dd, sg / dg, od, og, od / dd, og / dg }'
done
