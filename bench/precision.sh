#!/usr/bin/env bash
# Does DM lose accuracy when its real-data embeddings are computed in bfloat16? Distils
# Fashion-MNIST with distillation.realEmbeddingPrecision float32 and bfloat16, the same seeds on
# both sides: with one seed, both start from the same synthetic images, draw the same networks
# (bfloat16 rounds their parameters to bfloat16 values), real batches and augmentations, and
# evaluate with the same evaluation networks, so a row differs from the other only in the number
# format of the real side. Prints per row the test accuracy, mean +- std over seeds, and the paired
# difference per seed. Results are appended to WORKDIR/results.tsv as they come; a seed already
# there is not run again.
#
# Usage: bench/precision.sh [--width N] [--ipc N] [--iterations N] [--batch-real N]
#                           [--seeds "1 2 3"] [--parallel N] [WORKDIR]
# Defaults: width 128 (the reference's ConvNet), ipc 10, 400 iterations, batchReal 64, seeds 1 2 3,
# 3 evaluation networks x 300 epochs, 2 runs at a time with one intra-op thread each.
# Needs worker/target/goldpan-worker.jar (mvn -B -DskipTests package) and Debian's
# dataset-fashion-mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
width=128 ipc=10 iterations=400 batch_real=64 seeds="1 2 3" parallel=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --width) width=$2; shift 2 ;;
    --ipc) ipc=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --batch-real) batch_real=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    -*) echo "bench/precision.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
work="$(realpath -m "${1:-target/precision}")"
mkdir -p "$work"
results="$work/results.tsv"
jar=worker/target/goldpan-worker.jar
[[ -f "$jar" ]] || { echo "bench/precision.sh: $jar is missing; run mvn -B -DskipTests package" >&2; exit 1; }
# A copy, so that rebuilding the worker while the experiment runs does not change it midway.
if [[ ! -f "$work/worker/goldpan-worker.jar" ]]; then
  mkdir -p "$work/worker" && cp -r "$jar" worker/target/lib "$work/worker/"
fi

distil() {  # precision, seed: one run, its line appended to results.tsv
  local name="w$width-ipc$ipc-it$iterations-b$batch_real-$1-s$2"
  cat > "$work/$name.yaml" <<YAML
apiVersion: goldpan.dev/v1alpha1
kind: DistillationJob
metadata: {name: $name}
spec:
  dataset: {format: idx, source: 'file:///usr/share/datasets/fashion-mnist'}
  model: {depth: 3, width: $width}
  selection: {mode: none}
  distillation: {algorithm: dm, imagesPerClass: $ipc, iterations: $iterations, batchReal: $batch_real, realEmbeddingPrecision: $1}
  evaluation: {models: 3, epochs: 300, baselines: []}
  output: {location: 'file:///unused'}
  seed: $2
YAML
  local started=$SECONDS
  java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -jar "$work/worker/goldpan-worker.jar" \
    run "$work/$name.yaml" --output "$work/out-$name" > "$work/$name.log" 2>&1 ||
    { echo "bench/precision.sh: $name failed, see $work/$name.log" >&2; return 1; }
  /usr/bin/python3 - "$work/out-$name/evaluation.json" "$width" "$ipc" "$iterations" "$batch_real" "$1" "$2" \
    "$((SECONDS - started))" >> "$results" <<'PY'
import json, sys
evaluation, *key, seconds = sys.argv[1:]
print("\t".join(key + ["%.6f" % json.load(open(evaluation))["synthetic"]["mean"], seconds]))
PY
  tail -1 "$results"
}

running=0
for seed in $seeds; do
  for precision in float32 bfloat16; do
    if grep -q "^$width	$ipc	$iterations	$batch_real	$precision	$seed	" "$results" 2>/dev/null; then continue; fi
    distil "$precision" "$seed" &
    running=$((running + 1))
    if ((running >= parallel)); then
      wait -n || true
      running=$((running - 1))
    fi
  done
done
wait || true

/usr/bin/python3 - "$results" "$width" "$ipc" "$iterations" "$batch_real" <<'PY'
import statistics, sys
path, *key = sys.argv[1:]
runs = {}
for line in open(path):
    *fields, precision, seed, accuracy, seconds = line.rstrip("\n").split("\t")
    if fields == key:
        runs.setdefault(precision, {})[seed] = (100 * float(accuracy), int(seconds))
print("width %s, ipc %s, %s iterations, batchReal %s" % tuple(key))
for precision in ("float32", "bfloat16"):
    seeds = runs.get(precision, {})
    accuracies = [a for a, _ in seeds.values()]
    if accuracies:
        std = statistics.stdev(accuracies) if len(accuracies) > 1 else float("nan")
        print("%-9s %d seeds  %6.2f +- %4.2f %%  (%s)  %d s per run" % (precision, len(accuracies),
              statistics.mean(accuracies), std, " ".join("%.2f" % a for a in accuracies),
              statistics.mean(s for _, s in seeds.values())))
paired = sorted(set(runs.get("float32", {})) & set(runs.get("bfloat16", {})))
if paired:
    differences = [runs["bfloat16"][s][0] - runs["float32"][s][0] for s in paired]
    std = statistics.stdev(differences) if len(differences) > 1 else float("nan")
    print("bfloat16 - float32, paired by seed: %+.2f +- %.2f points (%s)" % (statistics.mean(differences), std,
          " ".join("%+.2f" % d for d in differences)))
PY
