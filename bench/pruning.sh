#!/usr/bin/env bash
# Does pruning help? Issue 11's experiment: full Fashion-MNIST (and a copy with a fifth of the
# training labels flipped), DM, ConvNet width 32, one row per selection setting, several
# distillation seeds per row. Every row of a seed starts from the same initial images (drawn from
# the whole class before pruning) and sees the same networks and augmentations, so rows differ
# only in the real samples they match. Static scores (loss-converge) are computed once per data
# set (3 epochs of one network) and shared by the rows. Results are appended to WORKDIR/results.tsv as they come, one line
# per run; the summary (mean +- std over seeds) is printed at the end and by --summary.
#
# Usage: bench/pruning.sh [--ipc N] [--iterations N] [--batch-real N] [--seeds "1 2 3"]
#                         [--data clean|noisy|both] [--rows "full lc-0.5 ..."] [WORKDIR]
#        bench/pruning.sh --summary WORKDIR
# Rows: full, random-R, lc-R (loss-converge keep R), middle-R / most-R (loss-converge keep R,
# then causal selection of half of it), auto (its pilots' choices also go to WORKDIR/auto.tsv).
# Needs worker/target/goldpan-worker.jar (built by
# mvn -B -DskipTests package), Debian's dataset-fashion-mnist and numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
ipc=1 iterations=1000 batch_real=32 seeds="1 2 3" which=both eval_models=3 eval_epochs=300
rows="full random-0.5 lc-0.1 lc-0.3 lc-0.5 lc-0.7 middle-0.5 most-0.5 auto"
summary_only=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ipc) ipc=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --batch-real) batch_real=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --data) which=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --summary) summary_only=1; shift ;;
    -*) echo "bench/pruning.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
work="$(realpath -m "${1:-target/pruning}")"
mkdir -p "$work"
results="$work/results.tsv"

summarise() {
  /usr/bin/python3 - "$results" <<'PY'
import collections, statistics, sys
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    data, ipc, iterations, row, seed, kept, acc, seconds = line.rstrip("\n").split("\t")
    # One run per seed: a seed run twice (two drivers on one WORKDIR) counts once, the last one.
    rows.setdefault((data, ipc, iterations, row), {})[seed] = (float(acc), int(kept), float(seconds), seed)
rows = collections.OrderedDict((key, list(runs.values())) for key, runs in rows.items())
print("%-6s %4s %6s %-12s %6s %8s  %-16s %s" % ("data", "ipc", "iters", "row", "seeds", "kept", "accuracy (%)", "per seed"))
for (data, ipc, iterations, row), runs in rows.items():
    accs = [100 * a for a, _, _, _ in runs]
    std = statistics.stdev(accs) if len(accs) > 1 else float("nan")
    print("%-6s %4s %6s %-12s %6d %8d  %6.2f +- %5.2f  %s" % (data, ipc, iterations, row, len(runs), runs[0][1],
          statistics.mean(accs), std, " ".join("%.2f" % a for a in accs)))
PY
}
if [[ -n "$summary_only" ]]; then summarise; exit 0; fi

jar=worker/target/goldpan-worker.jar
[[ -f "$jar" ]] || { echo "bench/pruning.sh: $jar is missing; run mvn -B -DskipTests package" >&2; exit 1; }
# A copy, so that rebuilding the worker while the experiment runs does not change it midway.
if [[ ! -f "$work/worker/goldpan-worker.jar" ]]; then
  mkdir -p "$work/worker" && cp -r "$jar" worker/target/lib "$work/worker/"
fi
worker() { java -Dai.djl.offline=true -jar "$work/worker/goldpan-worker.jar" "$@"; }

# The data: Debian's Fashion-MNIST as it is, and with 20% of the training labels moved to another
# class at random (seed 0; the test set stays clean).
/usr/bin/python3 - "$work" <<'PY'
import gzip, os, shutil, sys
import numpy as np
root, work = "/usr/share/datasets/fashion-mnist/", sys.argv[1]
for name in ("clean", "noisy"):
    out = os.path.join(work, "data-" + name)
    if os.path.exists(os.path.join(out, "train-labels-idx1-ubyte")):
        continue
    os.makedirs(out, exist_ok=True)
    for prefix in ("train", "t10k"):
        for kind in ("images-idx3", "labels-idx1"):
            with gzip.open(f"{root}{prefix}-{kind}-ubyte.gz") as src, open(f"{out}/{prefix}-{kind}-ubyte", "wb") as dst:
                shutil.copyfileobj(src, dst)
    if name == "noisy":
        path = f"{out}/train-labels-idx1-ubyte"
        raw = bytearray(open(path, "rb").read())
        labels = np.frombuffer(bytes(raw[8:]), np.uint8).copy()
        rng = np.random.default_rng(0)
        flip = rng.random(len(labels)) < 0.2
        labels[flip] = (labels[flip] + rng.integers(1, 10, flip.sum())) % 10
        raw[8:] = labels.tobytes()
        open(path, "wb").write(raw)
        np.save(f"{work}/flipped.npy", np.where(flip)[0])
PY

spec() {  # data, name, selection YAML, seed
  cat <<YAML
apiVersion: goldpan.dev/v1alpha1
kind: DistillationJob
metadata: {name: $2}
spec:
  dataset: {format: idx, source: 'file://$work/data-$1'}
  model: {depth: 3, width: 32}
  selection: $3
  distillation: {algorithm: dm, imagesPerClass: $ipc, iterations: $iterations, batchReal: $batch_real}
  evaluation: {models: $eval_models, epochs: $eval_epochs, baselines: []}
  output: {location: 'file:///unused'}
  seed: $4
YAML
}

scores() {  # data: loss-converge scores of the whole training set, once
  local file="$work/scores-$1.npy"
  if [[ ! -f "$file" ]]; then
    spec "$1" "scores-$1" "{static: {criterion: loss-converge, keepRatio: 1.0, scoring: {epochs: 3, initEpochs: 1}}}" 0 > "$work/scores-$1.yaml"
    worker stage score --task "$work/scores-$1.yaml" --index 0 --output "$work/out-scores-$1" > "$work/scores-$1.log" 2>&1 ||
      { echo "bench/pruning.sh: scoring $1 failed, see $work/scores-$1.log" >&2; exit 1; }
    cp "$work/out-scores-$1/scores-0.npy" "$file"
  fi
  echo "$file"
}

selection() {  # data, row
  local precomputed
  [[ "$2" == full || "$2" == random-* ]] || precomputed="criterion: precomputed, scoresSource: 'file://$(scores "$1")'"
  case "$2" in
    full) echo "{mode: none}" ;;
    random-*) echo "{static: {criterion: random, keepRatio: ${2#random-}}}" ;;
    lc-*) echo "{static: {$precomputed, keepRatio: ${2#lc-}}}" ;;
    middle-*|most-*)
      local keep=middle; [[ "$2" == most-* ]] && keep=most-contributing
      echo "{static: {$precomputed, keepRatio: ${2#*-}}, causal: {enabled: true, keepRatio: 0.5, keep: $keep}}" ;;
    auto) echo "{mode: auto, static: {$precomputed}}" ;;
    *) echo "bench/pruning.sh: unknown row $2" >&2; exit 2 ;;
  esac
}

datasets=$([[ "$which" == both ]] && echo "clean noisy" || echo "$which")
for row in $rows; do
  for data in $datasets; do
    for seed in $seeds; do
      name="$data-ipc$ipc-it$iterations-$row-s$seed"
      if grep -q "^$data	$ipc	$iterations	$row	$seed	" "$results" 2>/dev/null; then continue; fi
      spec "$data" "$name" "$(selection "$data" "$row")" "$seed" > "$work/$name.yaml"
      started=$SECONDS
      if [[ "$row" == auto ]]; then
        # The pilots first. When they choose full data, the distillation that follows is the full
        # row's, bit for bit (same seed, initial images, pools, networks and evaluation), so that
        # row's accuracy is reused once it exists; otherwise the whole pipeline runs.
        worker stage select --task "$work/$name.yaml" --output "$work/out-$name" > "$work/$name.log" 2>&1 ||
          { echo "bench/pruning.sh: $name failed, see $work/$name.log" >&2; continue; }
        chosen=$(/usr/bin/python3 -c "import json; print(json.load(open('$work/out-$name/selection.json'))['auto']['chosen'])")
        echo "$data	$ipc	$iterations	$seed	$chosen" >> "$work/auto.tsv"
        full=$(grep "^$data	$ipc	$iterations	full	$seed	" "$results" | tail -1 || true)
        if [[ "$chosen" == full && -n "$full" ]]; then
          echo "$full" | awk -F'\t' -v OFS='\t' -v s=$((SECONDS - started)) '{$4 = "auto"; $8 = s; print}' >> "$results"
          tail -1 "$results"
          continue
        fi
      fi
      worker run "$work/$name.yaml" --output "$work/out-$name" > "$work/$name.log" 2>&1 ||
        { echo "bench/pruning.sh: $name failed, see $work/$name.log" >&2; continue; }
      /usr/bin/python3 - "$work/out-$name" "$data" "$ipc" "$iterations" "$row" "$seed" "$((SECONDS - started))" >> "$results" <<'PY'
import json, sys
out, data, ipc, iterations, row, seed, seconds = sys.argv[1:]
e = json.load(open(out + "/evaluation.json"))
s = json.load(open(out + "/selection.json"))
print("\t".join([data, ipc, iterations, row, seed, str(s["kept"]), "%.6f" % e["synthetic"]["mean"], seconds]))
PY
      tail -1 "$results"
    done
  done
done
summarise
