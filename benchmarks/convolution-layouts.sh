#!/usr/bin/env bash
# Is channels-last (NHWC) a way around the CPU convolution fault (README, "CPU convolution fault")? Runs the
# --convolution-layouts probe of Decoupling.Benchmarks once per oneDNN instruction-set limit (each in its own process:
# oneDNN fixes the limit at its first convolution), both layouts in both orders, with the library's own workaround
# skipped. Writes each process's table to benchmarks/results/convolution-layouts.md as it goes.
# Usage: bash benchmarks/convolution-layouts.sh [random shapes (default 100)] [rounds (default 2)]
set -euo pipefail
cd "$(dirname "$0")/.."
shapes=${1:-100}
rounds=${2:-2}
dotnet build benchmarks/Decoupling.Benchmarks -c Release -warnaserror -v q >/dev/null
out=benchmarks/results/convolution-layouts.md
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
  echo "# Convolution layouts against a float64 reference ($(date -u +%F))"
  echo
  echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p') stepping $(lscpu | sed -n 's/^Stepping: *//p'). Command: \`bash benchmarks/convolution-layouts.sh $shapes $rounds\`."
  echo
} >"$tmp"
cp "$tmp" "$out"
for isa in default AVX512_CORE AVX2 SSE41; do
  for order in nchw,channels-last channels-last,nchw; do
    echo "## DNNL_MAX_CPU_ISA=$isa, layouts in the order $order" >>"$out"
    echo >>"$out"
    limit=(); [ "$isa" = default ] || limit=("DNNL_MAX_CPU_ISA=$isa")
    env DECOUPLING_CONVOLUTION_CHECK=skip "${limit[@]}" \
      dotnet benchmarks/Decoupling.Benchmarks/bin/Release/net10.0/Decoupling.Benchmarks.dll --convolution-layouts \
      --layouts "$order" --random-shapes "$shapes" --rounds "$rounds" 2>&1 | grep -E '^\|' >>"$out"
    echo >>"$out"
  done
done
cat "$out"
