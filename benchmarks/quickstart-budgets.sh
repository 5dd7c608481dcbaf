#!/usr/bin/env bash
# Issue 18, item 4: the Fashion-MNIST Quickstart at shorter training budgets. Each setting "PRETRAIN+EPOCHS[@IMAGES]:SEED"
# is one run of the Quickstart as the README runs it (its recipe, ForAccurateDynamicPaths, with --pretrain-epochs,
# --epochs, --seed and --train-limit overridden: after @ the images, 20 000 (the preset's) without @), one after the other; each finished run appends one row to the results file, and a rerun
# skips the settings that already have a row (a cut-off run loses one row, not the table).
# Usage: bash benchmarks/quickstart-budgets.sh RESULTS.md SETTING...     e.g. ... results.md 8+12:1 4+10:1 2+5@40000:1
# Wall times are only worth something when nothing else runs on the machine; the log of every run is kept beside the
# results file (RESULTS.md.logs/).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
. benchmarks/kernel-limits.sh
results=${1:?results file}
shift
[ $# -gt 0 ] || { echo "give at least one setting PRETRAIN+EPOCHS[@IMAGES]:SEED" >&2; exit 2; }
for setting in "$@"; do
  [[ $setting =~ ^[0-9]+\+[0-9]+(@[0-9]+)?:[0-9]+$ ]] || { echo "bad setting '$setting': expected PRETRAIN+EPOCHS[@IMAGES]:SEED, e.g. 4+10:1 or 2+5@40000:1" >&2; exit 2; }
done
dotnet build examples/Quickstart -c Release -warnaserror -v q >/dev/null
logs="$results.logs"
mkdir -p "$logs"
if [ ! -s "$results" ]; then
  {
    echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p'); $(nproc) cores; $(date -u +%F)."
    limits=$(kernel_limits)
    echo "Command: ${limits:+$limits }bash benchmarks/quickstart-budgets.sh $results $*"
    echo
    echo "| pretrain + decoupling epochs | training images | seed | wall time | mean dense epoch | mean decoupling epoch | test accuracy | FLOPs reduction | dynamic filters | whole-path 5-NN | AUC responses + deviation | AUC responses | AUC path bits | AUC scores | AUC Mahalanobis | self-check |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  } > "$results"
fi
value() { grep -o "\"$1\": *[-0-9.eE]*" "$2" | head -1 | sed 's/.*: *//'; }
limits=$(kernel_limits)
if [ -s "$results" ] && ! grep -qF -- "Command: ${limits:+$limits }bash" "$results"; then
  echo "$results was written with other kernel limits than this environment's (${limits:-none}); use another results file" >&2
  exit 2
fi
for setting in "$@"; do
  pretrain=${setting%%+*}
  rest=${setting#*+}
  epochs=${rest%%[@:]*}
  seed=${setting##*:}
  images=20000
  [[ $setting == *@* ]] && { images=${setting#*@}; images=${images%%:*}; }
  if grep -q "^| $pretrain + $epochs | $images | $seed |" "$results"; then
    echo "skip $setting (in $results)"
    continue
  fi
  out=$(mktemp -d)
  log="$logs/$pretrain+$epochs-$images-seed$seed.log"
  echo "run $setting ..."
  start=$(date +%s.%N)
  if ! dotnet examples/Quickstart/bin/Release/net10.0/Quickstart.dll --dataset fashion-mnist --pretrain-epochs "$pretrain" \
      --epochs "$epochs" --train-limit "$images" --seed "$seed" --output "$out" > "$log" 2>&1; then
    echo "run $setting failed; log: $log" >&2
    rm -rf "$out"
    exit 1
  fi
  wall=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f", e - s }')
  m="$out/metrics.json"
  dense=$({ grep -o "dense pretraining epoch .*\[[0-9.]*s\]" "$log" || true; } | { grep -o "\[[0-9.]*s\]" || true; } | tr -d '[]s' | awk '{ s += $1 } END { if (NR) printf "%.1f s", s / NR; else print "–" }')
  decoupling=$({ grep "^\[[0-9:]*\] epoch [0-9]*/" "$log" || true; } | { grep -o "\[[0-9.]*s\]" || true; } | tr -d '[]s' | awk '{ s += $1 } END { if (NR) printf "%.1f s", s / NR; else print "–" }')
  check=$({ grep -o '"convolution_self_check": *"[A-Za-z]*"' "$m" || echo '"–"'; } | sed 's/.*"\([^"]*\)"$/\1/')
  if grep -q '"skipped"' "$m"; then
    echo "run $setting: the Quickstart skipped the detection (see $log); no row" >&2
    rm -rf "$out"
    continue
  fi
  printf "| %s + %s | %s | %s | %d min %02d s | %s | %s | %.4f | %.2f× | %.1f %% | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %s |\n" \
    "$pretrain" "$epochs" "$images" "$seed" "$(printf '%.0f' "$wall" | awk '{ print int($1 / 60) }')" "$(printf '%.0f' "$wall" | awk '{ print $1 % 60 }')" \
    "$dense" "$decoupling" "$(value test_accuracy "$m")" "$(value flops_reduction "$m")" \
    "$(awk -v d="$(value dynamic_share "$m")" 'BEGIN { print d * 100 }')" "$(value whole_path_5nn_accuracy "$m")" "$(value auc "$m")" \
    "$(value responses_auc "$m")" "$(value path_bits_auc "$m")" "$(value baseline_scores_auc "$m")" \
    "$(value baseline_mahalanobis_auc "$m")" "$check" | tee -a "$results"
  rm -rf "$out"
done
