#!/usr/bin/env bash
# Peak memory per stage on a large tar-shards data set, and on one ten times smaller: issue 13
# asks for under 3 GiB per stage at 1 M images and about the same peak at 100 k.
#
# Writes 32x32 RGB images as WebDataset-style tar shards of real PNGs (bench/tar_shards.py, 10,000
# samples a shard) under --data, links the first tenth of the shards as the small set, and runs
# score (loss-converge, 1 epoch: one streamed training pass and one streamed scoring pass), select,
# distill of ONE class shard (parallelism 10, a few DM iterations) and evaluate (1 model, 1 epoch,
# the random-real baseline, the test split in chunks) on each, as separate worker processes, each
# under /usr/bin/time -v. Prints one line per set and stage: seconds and peak RSS (VmHWM).
# The JVM runs with -Xmx${HEAP} (a pod's limit would set it); RSS adds libtorch's native memory.
#
# Usage: bench/scale.sh [--images 1000000] [--test 10000] [--data /work/exp/scale] [--heap 2g]
#                       [--processes N] [--criterion loss-converge]
# --criterion random scores without training: the score stage then streams the train split once,
# for its normalisation (a tenth of the time on a shared machine; the same chunks in memory).
# Needs worker/target/goldpan-worker.jar (mvn -B -DskipTests package) and /usr/bin/python3 with
# numpy and PIL. Generating 1 M images takes about 30 minutes on two cores and 4.6 GB of disk.
set -euo pipefail
cd "$(dirname "$0")/.."
images=1000000 test=10000 data=/work/exp/scale heap=2g processes=$(nproc) criterion=loss-converge
while [[ $# -gt 0 ]]; do
  case "$1" in
    --images) images=$2; shift 2 ;;
    --test) test=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --heap) heap=$2; shift 2 ;;
    --processes) processes=$2; shift 2 ;;
    --criterion) criterion=$2; shift 2 ;;
    *) echo "bench/scale.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
jar=${JAR:-$PWD/worker/target/goldpan-worker.jar}
[[ -f "$jar" ]] || { echo "bench/scale.sh: $jar is missing; run mvn -B -DskipTests package" >&2; exit 1; }
per_shard=10000
(( images % (10 * per_shard) == 0 )) ||
  { echo "bench/scale.sh: --images must be a multiple of $((10 * per_shard))" >&2; exit 2; }

large=$data/tar-$images small=$data/tar-$((images / 10))
/usr/bin/python3 bench/tar_shards.py "$large" "$images" "$test" --per-shard $per_shard --processes "$processes"
mkdir -p "$small/train" "$small/test"
for shard in $(ls "$large/train" | sort | head -n $((images / 10 / per_shard))); do
  ln -sf "$large/train/$shard" "$small/train/$shard"
done
for shard in $(ls "$large/test"); do ln -sf "$large/test/$shard" "$small/test/$shard"; done

run_set() {  # directory -> one line per stage
  local set=$1 work=$1.run-$criterion
  rm -rf "$work" && mkdir -p "$work"
  cat > "$work/task.yaml" <<YAML
apiVersion: goldpan.dev/v1alpha1
kind: DistillationJob
metadata: {name: scale}
spec:
  dataset: {format: tar-shards, source: 'file://$set'}
  model: {depth: 2, width: 8}
  selection: {static: {criterion: $criterion, keepRatio: 0.5, scoring: {epochs: 1, initEpochs: 1}}}
  distillation: {algorithm: dm, imagesPerClass: 10, iterations: 5, batchReal: 128, parallelism: 10, checkpointInterval: 1000}
  evaluation: {models: 1, epochs: 1, baselines: [random-real]}
  output: {location: 'file:///unused'}
  seed: 0
YAML
  for stage in score select distill evaluate; do
    # evaluate merges the shards' synthetic images; only shard 0 was distilled, so the bench
    # copies its part to the other shards' names (their classes' images are shard 0's: a stand-in).
    if [[ $stage == evaluate ]]; then
      for shard in 1 2 3 4 5 6 7 8 9; do
        /usr/bin/python3 - "$work/out/synthetic-shard-0.npz" "$work/out/synthetic-shard-$shard.npz" "$shard" <<'PY'
import sys, numpy as np
part = dict(np.load(sys.argv[1]))
part["labels"] = part["labels"] - part["labels"] + int(sys.argv[3])
np.savez(sys.argv[2], **part)
PY
      done
    fi
    /usr/bin/time -v -o "$work/$stage.time" \
      java -Xmx"$heap" -Dai.djl.offline=true -jar "$jar" stage "$stage" --task "$work/task.yaml" \
        --index 0 --output "$work/out" > "$work/$stage.log" 2>&1 ||
      { echo "bench/scale.sh: $stage failed on $set, see $work/$stage.log" >&2; tail -5 "$work/$stage.log" >&2; exit 1; }
    /usr/bin/python3 - "$set" "$stage" "$work/$stage.time" "$criterion" <<'PY'
import os, re, sys
text = open(sys.argv[3]).read()
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
seconds = sum(float(part) * 60 ** i for i, part in enumerate(reversed(wall.split(":"))))
train = sum(1 for _ in os.scandir(os.path.join(sys.argv[1], "train"))) * 10000
print(f"{train:>9} images  {sys.argv[4]:<13} {sys.argv[2]:<8} {seconds:8.1f} s  peak RSS {rss / 1024:7.0f} MiB")
PY
  done
}

run_set "$large"
run_set "$small"
