#!/usr/bin/env bash
# The study of docs/analysis.md: the six ResNet-20 variants trained on Fashion-MNIST with one recipe (ctxnet train's
# default), the attention of the four that have spatial attention analyzed, and the training speed of each timed.
# Usage: scripts/analysis-study.sh [OUT_DIR (runs/study)] [extra ctxnet train options...]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/study}
shift || true
models="resnet20 se_resnet20 gc_resnet20 snl_resnet20 nl_resnet20 nl_gaussian_resnet20"

for m in $models; do
  if [ ! -f "$out/$m/last.json" ]; then ./ctxnet train --model "$m" --out "$out/$m" "$@"; fi
done
for m in gc_resnet20 snl_resnet20 nl_resnet20 nl_gaussian_resnet20; do
  ./ctxnet analyze "$out/$m" --images 100 --queries 4
done
for m in $models; do ./ctxnet bench --model "$m"; done

echo
echo "| model | test acc (epoch 3) | best | seconds per epoch (measured) |"
echo "| --- | --- | --- | --- |"
for m in $models; do
  awk -F, -v m="$m" 'NR > 1 { acc = $5; s += $7; n++; if ($5 > best) best = $5 }
    END { printf "| %s | %.2f%% | %.2f%% | %.0f |\n", m, 100 * acc, 100 * best, s / n }' "$out/$m/metrics.csv"
done
