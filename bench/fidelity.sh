#!/usr/bin/env bash
# Fidelity against the original code: runs the original DatasetCondensation scripts (main_DM.py
# for DM, main.py for DC) and the Goldpan worker on the same small Fashion-MNIST settings, IPC 1,
# three seeds each, and prints per-seed accuracy and mean +- std over seeds for both (issue 11).
#
# Usage: bench/fidelity.sh /path/to/DatasetCondensation [WORKDIR]
#   /path/to/DatasetCondensation  a checkout of github.com/VICO-UoE/DatasetCondensation (not
#                                 copied here; run in place, read-only)
#   WORKDIR                       logs, specs and outputs (default: a new temporary directory)
# Environment:
#   SIDES="original goldpan"  ALGORITHMS="dm dc"  SEEDS="0 1 2"   what to run
#   PIN=1      also pin, in the worker's spec, what the reference resolves per algorithm (synthetic
#              lr 1.0/0.1, evaluation epochs 1000/300, DC evaluated without augmentation); by
#              default the worker's own defaults decide them, so a wrong default shows up here
#   JAR=...    the worker jar (default worker/target/goldpan-worker.jar; build it with
#              mvn -B -DskipTests package)
#
# Needs Debian's PyTorch (python3-torch, python3-torchvision, python3-scipy, seen by
# /usr/bin/python3) and the dataset-fashion-mnist package; installs them with apt-get when missing.
# Nothing is downloaded at run time: the Debian files are laid out where torchvision's
# FashionMNIST looks (WORKDIR/data/FashionMNIST/raw/), so its download step finds them present.
#
# How the original is run. Exactly as a user would, `python3 main_DM.py|main.py --flags`, through
# a small launcher (bench/original_launch.py, copied to WORKDIR/launch.py) that seeds numpy and
# torch and then runs the script with runpy. The launcher loads the checkout's utils.py and
# networks.py with two mechanical, behaviour-preserving edits that PyTorch >= 1.13 needs (Debian
# ships 1.13):
#   - `x[:] = x[0]` (the siamese broadcast in every DSA transform) fails with "some elements of
#     the input tensor and the written-to tensor refer to a single memory location" (the
#     repository's issue #20); it becomes `x[:] = x[0].clone()`;
#   - `out.view(out.size(0), -1)` in the networks fails on 1-channel images after DSA's crop,
#     whose output has channels-last strides that conv2d then propagates; it becomes `reshape`.
# The seed fixes numpy's draws (real batches, initial real images) and torch's draws before the
# first network (the noise init); the original reseeds torch from the clock in every get_network
# (utils.py) and seeds each DSA call from the clock, so its runs are not reproducible bit for bit.
#
# Settings, chosen so that one side (3 seeds x DM and DC) takes about 20 minutes or less on the
# 2-core development machine while other jobs share it. Measured with the original there
# (2026-11-30, load average 7-13): the whole original side took 14.8 min (DM runs 78-113 s,
# DC runs 178-251 s, each including ~25-50 s of torchvision loading the 60,000 images).
#   model        ConvNetW32 (the original's own ConvNet at width 32: depth 3, instance norm,
#                avg pooling) and `spec.model.width: 32`. At width 128 one pass over the 10,000
#                test images took ~45 s and a DM iteration at batch_real 256 ~15 s; at width 32
#                ~7 s and ~3.7 s. The issue's own experiment uses width 32.
#   ipc          1 (DC's loops at IPC 1: one outer step, no inner network training)
#   Iteration    DM 100, DC 100 (reference: 20,000 and 1,000); at batch_real 64, DM took
#                0.6-0.9 s and DC 1-1.5 s per iteration. Both already move accuracy well away
#                from their initialisation (DM from real images, DC from noise).
#   batch_real   64 (reference 256)
#   num_eval     2 evaluation models per seed (reference 20); spec.evaluation.models 2
#   eval epochs  DM 1000 (main_DM.py's default, kept); DC 300 (main.py forces 300 for DC without
#                augmentation and ignores --epoch_eval_train)
#   eval_mode    F: not one of the original's modes, so the only evaluation is at the last
#                iteration, on the training model (with 'S'/'SS' it evaluates every 500/2000
#                iterations starting at 0, and never at a last iteration that is not a multiple)
#   init         the original's defaults: DM real, DC noise (main.py's default; the README's DC
#                commands keep it); the worker's spec states them
#   everything else at the original's values: lr_img DM 1.0 / DC 0.1, lr_net 0.01, batch_train
#   256, DSA strategy color_crop_cutout_flip_scale_rotate for DM, none for DC, dis_metric ours.
# Results of the original side at these settings (2026-11-30), per seed and mean +- population
# std over seeds:
#   seeds 0 1 2:  DM 69.30 69.33 70.27 = 69.63 +- 0.45;  DC 66.32 65.58 66.41 = 66.10 +- 0.37
#   seeds 3 4 5:  DM 70.72 70.20 69.59 = 70.17 +- 0.46;  DC 68.28 64.69 66.87 = 66.61 +- 1.48
#   all six:      DM 69.90 +- 0.53;  DC 66.36 +- 1.11
# So with 3 seeds the original's own mean moves by ~0.5 (DM) to ~0.5-1.5 (DC) points between
# batches of seeds; "within 1 point" needs that in mind (SEEDS="0 1 2 3 4 5" doubles the time).
# The worker side gets `selection: static random keepRatio 1.0` (full data, no pruning) and no
# baselines. Its per-seed figure is the mean over its evaluation models, like the original's.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 && -f "$1/main_DM.py" && -f "$1/main.py" ]] || {
  echo "usage: bench/fidelity.sh /path/to/DatasetCondensation [WORKDIR]" >&2
  exit 2
}
ref="$(cd "$1" && pwd)"
work="${2:-$(mktemp -d)}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
SIDES="${SIDES:-original goldpan}"
ALGORITHMS="${ALGORITHMS:-dm dc}"
SEEDS="${SEEDS:-0 1 2}"
JAR="${JAR:-worker/target/goldpan-worker.jar}"
IPC=1 WIDTH=32 BATCH_REAL=64 EVAL_MODELS=2
declare -A ITERATIONS=([dm]=100 [dc]=100)
declare -A INIT=([dm]=real [dc]=noise)
declare -A LR=([dm]=1.0 [dc]=0.1)
declare -A EVAL_EPOCHS=([dm]=1000 [dc]=300)
declare -A AUGMENTATION=([dm]=dsa [dc]=none)

apt_install() {
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get install -y "$@" >&2
}
if [[ " $SIDES " == *" original "* ]] && ! /usr/bin/python3 -c "import torch, torchvision, scipy" 2>/dev/null; then
  apt_install python3-torch python3-torchvision python3-scipy
fi
fmnist=/usr/share/datasets/fashion-mnist
[[ -f $fmnist/train-images-idx3-ubyte.gz ]] || apt_install dataset-fashion-mnist

# torchvision's FashionMNIST(root) finds root/FashionMNIST/raw/<name> and skips its download.
raw="$work/data/FashionMNIST/raw"
mkdir -p "$raw"
for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [[ -s "$raw/$name" ]] || gunzip -c "$fmnist/$name.gz" > "$raw/$name"
done

cp bench/original_launch.py "$work/launch.py"

original() {  # algorithm seed -> prints the accuracy in percent, the log in $work
  local alg=$1 seed=$2 log="$work/original-$1-$2.log" script flags
  if [[ $alg == dm ]]; then
    script=main_DM.py
    flags=(--epoch_eval_train "${EVAL_EPOCHS[dm]}" --init "${INIT[dm]}")
  else
    script=main.py
    flags=(--method DC --init "${INIT[dc]}")
  fi
  (cd "$work" && /usr/bin/python3 launch.py "$ref" "$seed" "$script" --dataset FashionMNIST \
    --model ConvNetW$WIDTH --ipc $IPC --eval_mode F --num_exp 1 --num_eval $EVAL_MODELS \
    --Iteration "${ITERATIONS[$alg]}" --batch_real $BATCH_REAL --lr_img "${LR[$alg]}" \
    --data_path data --save_path "result-$alg-$seed" "${flags[@]}") > "$log" 2>&1 || {
    echo "bench/fidelity.sh: the original $script failed, see $log" >&2
    return 1
  }
  sed -n 's/^Run 1 experiments.* mean  = \([0-9.]*\)%.*/\1/p' "$log" | tail -1
}

goldpan() {  # algorithm seed -> prints the accuracy in percent, spec and output in $work
  local alg=$1 seed=$2 name="goldpan-$1-$2" pinned=""
  [[ -f "$JAR" ]] || { echo "bench/fidelity.sh: $JAR is missing; run mvn -B -DskipTests package" >&2; return 1; }
  [[ "${PIN:-0}" == 1 ]] && pinned=", learningRate: ${LR[$alg]}, augmentation: ${AUGMENTATION[$alg]}"
  local epochs=""
  [[ "${PIN:-0}" == 1 ]] && epochs=", epochs: ${EVAL_EPOCHS[$alg]}"
  cat > "$work/$name.yaml" <<YAML
apiVersion: goldpan.dev/v1alpha1
kind: DistillationJob
metadata: {name: fidelity-$alg-$seed}
spec:
  dataset: {format: idx, source: 'file://$fmnist'}
  model: {architecture: convnet, depth: 3, width: $WIDTH}
  selection: {static: {criterion: random, keepRatio: 1.0}}
  distillation: {algorithm: $alg, imagesPerClass: $IPC, iterations: ${ITERATIONS[$alg]}, batchReal: $BATCH_REAL, init: ${INIT[$alg]}$pinned}
  evaluation: {models: $EVAL_MODELS, baselines: []$epochs}
  output: {location: 'file:///unused'}
  seed: $seed
YAML
  rm -rf "$work/out-$name"
  java -Dai.djl.offline=true -jar "$JAR" run "$work/$name.yaml" --output "$work/out-$name" \
    > "$work/$name.log" 2>&1 || {
    echo "bench/fidelity.sh: the worker failed, see $work/$name.log" >&2
    return 1
  }
  /usr/bin/python3 -c "import json,sys; print('%.2f' % (100 * json.load(open(sys.argv[1]))['synthetic']['mean']))" \
    "$work/out-$name/evaluation.json"
}

summary() {  # label values... -> "label  a b c  mean +- std"
  /usr/bin/python3 - "$@" <<'PY'
import sys
import numpy as np
label, values = sys.argv[1], [float(v) for v in sys.argv[2:] if v]
per_seed = " ".join("%6.2f" % v for v in values)
print("%-14s %-24s %6.2f +- %.2f  (n=%d)" % (label, per_seed, np.mean(values), np.std(values), len(values)) if values else "%-14s no results" % label)
PY
}

echo "Fashion-MNIST, ConvNet width $WIDTH, IPC $IPC, batch_real $BATCH_REAL, $EVAL_MODELS evaluation models per seed, seeds: $SEEDS"
echo "iterations: dm ${ITERATIONS[dm]}, dc ${ITERATIONS[dc]}; work directory $work"
echo "side/algorithm per-seed accuracy (%)      mean +- std over seeds (population)"
for side in $SIDES; do
  for alg in $ALGORITHMS; do
    values=()
    for seed in $SEEDS; do
      started=$SECONDS
      value="$($side "$alg" "$seed" || true)"
      echo "  $side $alg seed $seed: ${value:-failed} ($((SECONDS - started)) s)" >&2
      values+=("$value")
    done
    summary "$side-$alg" "${values[@]}"
  done
done
