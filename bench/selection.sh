#!/usr/bin/env bash
# Accuracy of level-1 and level-2 selection on a Fashion-MNIST subset, and the time causal
# selection adds to a DM iteration (issue 4's benchmark). Numbers go to docs/benchmarks.md.
#
# Usage: bench/selection.sh [WORKDIR]    (needs worker/target/goldpan-worker.jar and numpy)
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-$(mktemp -d)}"
jar=worker/target/goldpan-worker.jar
[[ -f "$jar" ]] || { echo "bench/selection.sh: $jar is missing; run mvn -B -DskipTests package" >&2; exit 1; }
worker() { java -Dai.djl.offline=true -jar "$jar" "$@"; }

# A class-balanced subset: 600 training and 100 test images per class.
mkdir -p "$work/data"
/usr/bin/python3 - "$work/data" <<'PY'
import gzip, struct, sys
import numpy as np
root, out = "/usr/share/datasets/fashion-mnist/", sys.argv[1]
for prefix, per_class in (("train", 600), ("t10k", 100)):
    images = np.frombuffer(gzip.open(root + prefix + "-images-idx3-ubyte.gz").read(), np.uint8, offset=16).reshape(-1, 28, 28)
    labels = np.frombuffer(gzip.open(root + prefix + "-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)
    keep = np.sort(np.concatenate([np.where(labels == c)[0][:per_class] for c in range(10)]))
    open(f"{out}/{prefix}-images-idx3-ubyte", "wb").write(struct.pack(">IIII", 0x803, len(keep), 28, 28) + images[keep].tobytes())
    open(f"{out}/{prefix}-labels-idx1-ubyte", "wb").write(struct.pack(">II", 0x801, len(keep)) + labels[keep].tobytes())
PY

run() {  # name, selection YAML
  cat > "$work/$1.yaml" <<YAML
apiVersion: goldpan.dev/v1alpha1
kind: DistillationJob
metadata: {name: $1}
spec:
  dataset: {format: idx, source: 'file://$work/data'}
  model: {depth: 3, width: 32}
  selection: $2
  distillation: {imagesPerClass: 1, iterations: 100, batchReal: 64}
  evaluation: {models: 4, epochs: 100}
  output: {location: 'file:///unused'}
  seed: 7
YAML
  local started=$SECONDS
  worker run "$work/$1.yaml" --output "$work/out-$1" > "$work/$1.log" 2>&1
  /usr/bin/python3 -c "import json,sys; e=json.load(open('$work/out-$1/evaluation.json')); s=json.load(open('$work/out-$1/selection.json')); print('%-16s kept %5d  distilled %.2f +- %.2f  random-real %.2f +- %.2f  %ds' % ('$1', s['kept'], 100*e['synthetic']['mean'], 100*e['synthetic']['std'], 100*e['baselines']['random-real']['mean'], 100*e['baselines']['random-real']['std'], $SECONDS - $started))"
}

echo "accuracy (6,000-image Fashion-MNIST subset, ipc 1, 100 DM iterations, 4 models x 100 epochs, seed 7)"
run full "{static: {criterion: random, keepRatio: 1.0}}"
run static-50 "{static: {criterion: loss-converge, keepRatio: 0.5, scoring: {epochs: 2, initEpochs: 1}}}"
run static-10 "{static: {criterion: loss-converge, keepRatio: 0.1, scoring: {epochs: 2, initEpochs: 1}}}"
run random-10 "{static: {criterion: random, keepRatio: 0.1}}"
run static-causal "{static: {criterion: loss-converge, keepRatio: 0.5, scoring: {epochs: 2, initEpochs: 1}}, causal: {enabled: true, keepRatio: 0.5, refreshInterval: 50, keep: most-contributing}}"

echo "causal selection overhead (full Fashion-MNIST, width 32, ipc 10, batchReal 256, 3,000 candidates per class, refresh every 100 iterations)"
for interval in 0 100; do
  worker benchmark --width 32 --batch-real 256 --pool-per-class 3000 --dm-iterations 200 \
    --causal-interval "$interval" --score-batches 1 --eval-epochs 1 2>/dev/null | tail -1 |
    /usr/bin/python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print('causal interval %3d: %.3f DM iterations/s' % (d['causalInterval'], d['dmIterationsPerSecond']))"
done
