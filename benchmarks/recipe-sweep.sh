#!/usr/bin/env bash
# Issue 16: which training recipe gives dynamic, informative paths at the paper's accuracy and FLOPs? Each setting runs
# the detection protocol (examples/AdversarialDetection) on Fashion-MNIST and appends one row to the results table as
# soon as it finishes, so a cut-off sweep loses one row, not the table. Finished networks are cached as checkpoints
# (the dense pretraining and the same-budget dense baseline are shared by every setting), so rerunning the script
# resumes: settings whose row is already in the table are skipped.
# Usage: bash benchmarks/recipe-sweep.sh [results file (default benchmarks/results/recipe-sweep.md)] [setting ...]
#   Each further argument is one setting (the arguments after the common ones, e.g. "--pretrain-epochs 8 --epochs 8");
#   without any, the built-in list below runs.
#   TRAIN_LIMIT (20000), PRETRAIN (4), EPOCHS (4): training images, dense pretraining epochs and decoupling epochs;
#   the same-budget dense baseline trains PRETRAIN + EPOCHS epochs, and a from-scratch row trains the decoupled network
#   for PRETRAIN + EPOCHS epochs too. Detectors: FastForest, 10 and 100 clean images per class (100 per class is the
#   paper's 1-per-class count on ImageNet's 1 000 classes), 80 test images per class, 2 seeds. The detector images come
#   from the test split, which no network trained on.
set -euo pipefail
cd "$(dirname "$0")/.."
results=${1:-benchmarks/results/recipe-sweep.md}
shift $(( $# > 0 ? 1 : 0 ))
limit=${TRAIN_LIMIT:-20000}
pretrain=${PRETRAIN:-4}
epochs=${EPOCHS:-4}
total=$((pretrain + epochs))
cache=${CACHE:-benchmarks/results/recipe-sweep-cache}
mkdir -p "$(dirname "$results")" "$cache"
dotnet build examples/AdversarialDetection -c Release -v q -warnaserror > /dev/null
common="--dataset fashion-mnist --train-limit $limit --seeds 2 --images-per-class 10,100 --test-per-class 80 --pool-per-class 180 --trainers FastForest --attacks ifgsm,pgd-linf --cache $cache"
if [ ! -f "$results" ]; then
  {
    echo "Fashion-MNIST, first $limit training images; $(lscpu | grep 'Model name' | sed 's/  */ /g'), $(nproc) cores; started $(date -u +%FT%TZ)."
    echo "AUC cells: FastForest on decoupled path / gate logits / responses / dense path (a), then Mahalanobis, then FastForest on softmax scores / responses + path deviation / dense responses + path deviation (a'') (the last two from the PathDeviation commit on); transfer: responses and responses + deviation, trained on one attack, tested on the other (largest images per class)."
    echo
    echo "| arguments | decoupled acc | dense acc (same budget) | FLOPs reduction | dynamic filters | distinct test paths | layer classifiers | whole-path 5-NN | detection AUC | transfer AUC (responses) |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
  } > "$results"
fi
settings=(
  "--epochs $total"
  "--pretrain-epochs $pretrain --epochs $epochs"
  "--pretrain-epochs $pretrain --epochs $epochs --sparsity-warmup 2"
  "--pretrain-epochs $pretrain --epochs $epochs --lambda-m 2"
  "--pretrain-epochs $pretrain --epochs $epochs --lambda-m 0.04 --lambda-s 0.0002 --target-ratio 0"
  "--pretrain-epochs $pretrain --epochs $epochs --lambda-m 0.1"
  "--pretrain-epochs $pretrain --epochs $epochs --learning-rate 0.01"
  "--pretrain-epochs $pretrain --epochs $epochs --lambda-m 2 --learning-rate 0.01"
  "--pretrain-epochs $pretrain --epochs $epochs --lambda-m 2 --sparsity-warmup 2"
  "--pretrain-epochs $pretrain --epochs $epochs --lambda-s 0.02"
  "--pretrain-epochs $((total - 2)) --epochs 2"
)
if [ $# -gt 0 ]; then
  settings=("$@")
fi
for setting in "${settings[@]}"; do
  if grep -qF -- "$common $setting --output" "$results" 2>/dev/null; then
    echo "skip (in the table): $setting"
    continue
  fi
  out=$(mktemp -d)
  echo "[$(date -u +%T)] $setting"
  # shellcheck disable=SC2086
  if dotnet examples/AdversarialDetection/bin/Release/net10.0/AdversarialDetection.dll $common $setting --output "$out" > "$out/log.txt" 2>&1; then
    cat "$out/summary.row.md" >> "$results"
    grep -E "Test accuracy|fewer FLOPs" "$out/log.txt" || true
  else
    echo "failed: $setting (log: $out/log.txt)"
    tail -5 "$out/log.txt"
    continue
  fi
  rm -rf "$out"
done
