#!/usr/bin/env bash
# Goldpan worker vs the PyTorch reference (bench/pytorch_reference.py) on this machine's CPU.
#
# Usage: bench/compare.sh [--accuracy]
#
# Runs `goldpan-worker benchmark` and the reference's throughput mode with the same flags at
# width 32 and 128, then prints per metric both throughputs and the ratio
# pytorch / goldpan (= goldpan time / pytorch time; <= 1.0 means Goldpan is at least as fast), by
# wall clock (...PerSecond) and by process CPU time (...PerCpuSecond, the steadier measure when
# other work shares the machine).
# The reference uses as many intra-op threads as DJL reports for the Java run, so both sides
# compute with the same parallelism; THREADS=N sets N for both (DJL through the system property
# ai.djl.pytorch.num_threads). Measure on an otherwise idle machine: with 2 threads on 2 cores,
# any other busy process makes both engines many times slower.
#
# With ORIGINAL=/path/to/DatasetCondensation (a checkout of github.com/VICO-UoE/DatasetCondensation,
# run in place, read-only) it also times the original DM loop: main_DM.py run as a user would
# (bench/original_launch.py, the launcher of bench/fidelity.sh) on Fashion-MNIST with the same
# settings (ConvNetW<width>, depth 3, ipc 10, batch_real 64, DSA, real init, no evaluation models)
# and the same threads, its iterations timed from its own per-iteration network draws (3 warm-up
# iterations, then as many as the Java run times); it prints goldpan/original (> 1: Goldpan faster).
#
# --accuracy also runs a small end-to-end DM distillation of Fashion-MNIST (no pruning, ipc 10,
# 200 iterations, batchReal 64, width 32, 2 evaluation models x 50 epochs, seed 1) through
# `goldpan-worker run` and through the reference's accuracy mode, and prints both accuracies.
#
# Goldpan's DM computes its real-data embeddings as distillation.realEmbeddingPrecision says
# (auto: bfloat16 on a CPU with AMX or an AMD one with AVX512-BF16); the scripts compute in
# float32. The first lines of the output say which; REAL_EMBEDDING_PRECISION=float32 times
# Goldpan in float32 too.
#
# Builds nothing: needs worker/target/goldpan-worker.jar (mvn -B -DskipTests package).
# Environment: DATA (Fashion-MNIST IDX directory, default /usr/share/datasets/fashion-mnist),
# THREADS (intra-op threads of all engines, default: DJL's default), ORIGINAL (see above),
# REAL_EMBEDDING_PRECISION (auto, float32 or bfloat16; default auto).
set -euo pipefail

script=$(readlink -f "$0")
cd "$(dirname "$script")/.."
JAR=worker/target/goldpan-worker.jar
PYTHON=/usr/bin/python3 # Debian's torch and numpy are installed for this interpreter only
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
THREADS=${THREADS:-}
ORIGINAL=${ORIGINAL:-}
REAL_EMBEDDING_PRECISION=${REAL_EMBEDDING_PRECISION:-auto}
java_command=(java)
if [[ -n $THREADS ]]; then
  java_command+=("-Dai.djl.pytorch.num_threads=$THREADS")
fi
java_command+=(-jar "$JAR")

accuracy=false
for arg in "$@"; do
  case $arg in
    --accuracy) accuracy=true ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$script" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "bench/compare.sh: unknown argument $arg (usage: bench/compare.sh [--accuracy])" >&2
      exit 2
      ;;
  esac
done

if [[ ! -f $JAR ]]; then
  echo "bench/compare.sh: $JAR is missing; build it first with: mvn -B -DskipTests package" >&2
  exit 1
fi

# Timings are only meaningful on an otherwise idle machine: warn when the CPUs are busy.
read -r _ user1 nice1 system1 idle1 _ </proc/stat
sleep 1
read -r _ user2 nice2 system2 idle2 _ </proc/stat
busy=$((user2 + nice2 + system2 - user1 - nice1 - system1))
if ((busy * 100 > 20 * (busy + idle2 - idle1))); then
  echo "bench/compare.sh: warning: the CPUs are busy with other work; timings will be off" >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs a command, keeping its stdout and stderr in $work/<name>.out|.err; shows stderr on failure.
run_logged() {
  local name=$1
  shift
  if ! "$@" >"$work/$name.out" 2>"$work/$name.err"; then
    echo "bench/compare.sh: $name failed:" >&2
    tail -n 30 "$work/$name.err" >&2
    exit 1
  fi
}

# The intra-op threads the Java run of NAME used, from its JSON (nproc if it did not say).
djl_threads() {
  local threads
  threads=$(tail -n 1 "$work/$1.out" | "$PYTHON" -c 'import json, sys; print(json.loads(sys.stdin.read()).get("threads", ""))' 2>/dev/null || true)
  echo "${threads:-$(nproc)}"
}

# benchmark WIDTH FLAGS...: both throughput runs at one width; the JSON is each last stdout line.
benchmark() {
  local width=$1
  shift
  local flags=(--width "$width" --depth 3 --images-per-class 10 --batch-real 64 --data "$DATA" "$@")
  local precision=(--real-embedding-precision "$REAL_EMBEDDING_PRECISION")
  echo "width $width: goldpan benchmark ${flags[*]} ${precision[*]}" >&2
  run_logged "goldpan-$width" "${java_command[@]}" benchmark "${flags[@]}" "${precision[@]}"
  local threads
  threads=$(djl_threads "goldpan-$width")
  echo "width $width: pytorch throughput ${flags[*]} --threads $threads" >&2
  # OpenMP's own thread count too, as for the original below: without it Debian's PyTorch kept a
  # second thread busy (4 s of system time in a 9 s run), which the CPU-time rates counted.
  run_logged "pytorch-$width" env OMP_NUM_THREADS="$threads" \
    "$PYTHON" bench/pytorch_reference.py throughput "${flags[@]}" --threads "$threads"
}

# original WIDTH ITERATIONS: the original main_DM.py's iteration times at one width, in
# $work/original-WIDTH.times (a JSON list of the moments it drew each iteration's network).
original() {
  local width=$1 iterations=$2
  local raw="$work/data/FashionMNIST/raw"
  if [[ ! -d $raw ]]; then
    mkdir -p "$raw"
    for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
      gunzip -c "$DATA/$name.gz" >"$raw/$name"
    done
    cp bench/original_launch.py "$work/launch.py"
  fi
  echo "width $width: original main_DM.py, $iterations timed iterations" >&2
  # One warm-up draw more than the Java run's 3, so that the last timed interval ends at a draw;
  # the last iteration (evaluation and image saving) is not timed.
  run_logged "original-$width" env -C "$work" ITERATION_TIMES="$work/original-$width.times" \
    OMP_NUM_THREADS="$(djl_threads "goldpan-$width")" "$PYTHON" launch.py "$ORIGINAL" 0 main_DM.py \
    --dataset FashionMNIST --model "ConvNetW$width" --ipc 10 --batch_real 64 --init real \
    --eval_mode F --num_exp 1 --num_eval 0 --Iteration $((iterations + 4)) --data_path data \
    --save_path "original-result-$width"
}

# Each timed window lasts a few seconds. The width-32 evaluation times 100 epochs: at 20 (about
# 1.3 s) the window held Goldpan's warm-up (its process used 1.12-1.14 CPU seconds per second there
# against 1.04-1.05 over 150 epochs: the JVM's JIT compiler threads), and its rate was
# 5-20 % below the one it keeps from then on (docs/benchmarks.md); a real evaluation trains 300 to
# 1,000 epochs per network.
benchmark 32 --dm-iterations 20 --score-batches 10 --eval-epochs 100
benchmark 128 --dm-iterations 5 --score-batches 4 --eval-epochs 10
if [[ -n $ORIGINAL ]]; then
  original 32 20
  original 128 5
fi

"$PYTHON" - "$work" <<'EOF'
import json, sys
from pathlib import Path

work = Path(sys.argv[1])
def last_json(name):
    return json.loads((work / f"{name}.out").read_text().strip().splitlines()[-1])


metrics = [f"{name}Per{clock}Second" for clock in ("", "Cpu")
           for name in ("dmIterations", "scoringSamples", "evaluationEpochs")]
rows = []
for width in (32, 128):
    goldpan, pytorch = last_json(f"goldpan-{width}"), last_json(f"pytorch-{width}")
    if width == 32:
        print(f"goldpan: {goldpan['implementation']}, {goldpan['threads']} intra-op threads, "
              f"DM's real-data embeddings in {goldpan['realEmbeddingPrecision']}")
        print(f"pytorch: {pytorch['implementation']}, {pytorch['threads']} intra-op threads, "
              "float32")
        print()
    for metric in metrics:
        rows.append((metric, width, goldpan[metric], pytorch[metric],
                     pytorch[metric] / goldpan[metric]))
print(f"{'metric':<30} {'width':>5} {'goldpan':>10} {'pytorch':>10} {'pytorch/goldpan':>16}")
for metric, width, goldpan, pytorch, ratio in rows:
    print(f"{metric:<30} {width:>5} {goldpan:>10.3f} {pytorch:>10.3f} {ratio:>16.2f}")

originals = [(width, work / f"original-{width}.times") for width in (32, 128)]
if all(times.exists() for _, times in originals):
    print()
    print("original DatasetCondensation main_DM.py, DM iterations per second and per CPU second")
    print(f"{'clock':<5} {'width':>5} {'goldpan':>10} {'original':>10} {'goldpan/original':>17}")
    for clock, key in ((0, "dmIterationsPerSecond"), (1, "dmIterationsPerCpuSecond")):
        for width, times in originals:
            draws = json.loads(times.read_text())
            # Draws at iterations 0..n+4: 3 warm-up iterations, then n timed ones.
            timed = len(draws) - 5
            original = timed / (draws[3 + timed][clock] - draws[3][clock])
            goldpan = last_json(f"goldpan-{width}")[key]
            print(f"{('wall', 'cpu')[clock]:<5} {width:>5} {goldpan:>10.3f} {original:>10.3f} "
                  f"{goldpan / original:>17.2f}")
EOF

if ! $accuracy; then
  exit 0
fi

cat >"$work/accuracy.yaml" <<EOF
apiVersion: goldpan.dev/v1alpha1
kind: DistillationJob
metadata:
  name: accuracy-reference
spec:
  dataset:
    format: idx
    source: pvc://fashion-mnist/
  model:
    depth: 3
    width: 32
  selection:
    static:
      criterion: random
      keepRatio: 1.0
  distillation:
    algorithm: dm
    imagesPerClass: 10
    iterations: 200
    learningRate: 1.0
    batchReal: 64
  evaluation:
    models: 2
    epochs: 50
  output:
    location: file://$work/goldpan-accuracy
  seed: 1
EOF
echo "accuracy: goldpan run (DM 200 iterations, 2 x 50 evaluation epochs)" >&2
started=$SECONDS
run_logged goldpan-accuracy "${java_command[@]}" run "$work/accuracy.yaml" \
  --output "$work/goldpan-accuracy" --volume "fashion-mnist=$DATA"
goldpan_seconds=$((SECONDS - started))
echo "accuracy: pytorch accuracy mode" >&2
started=$SECONDS
run_logged pytorch-accuracy "$PYTHON" bench/pytorch_reference.py accuracy --width 32 --depth 3 \
  --ipc 10 --iterations 200 --batch-real 64 --eval-models 2 --eval-epochs 50 --seed 1 \
  --data "$DATA" --threads "$(djl_threads goldpan-accuracy)"
pytorch_seconds=$((SECONDS - started))

"$PYTHON" - "$work" "$goldpan_seconds" "$pytorch_seconds" <<'EOF'
import json, sys
from pathlib import Path

work, goldpan_seconds, pytorch_seconds = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
evaluation = json.loads((work / "goldpan-accuracy" / "evaluation.json").read_text())
pytorch = json.loads((work / "pytorch-accuracy.out").read_text().strip().splitlines()[-1])
goldpan = (evaluation["synthetic"]["mean"], evaluation["synthetic"]["std"],
           evaluation["baselines"]["random-real"]["mean"],
           evaluation["baselines"]["random-real"]["std"])
reference = (pytorch["accuracyMean"], pytorch["accuracyStd"],
             pytorch["randomRealMean"], pytorch["randomRealStd"])
print()
print("accuracy (Fashion-MNIST test, DM ipc 10, 200 iterations, width 32, 2 models x 50 epochs)")
print(f"{'':<8} {'distilled':>16} {'random-real':>16} {'wall s':>7}")
for name, (mean, std, base_mean, base_std), seconds in (
        ("goldpan", goldpan, goldpan_seconds), ("pytorch", reference, pytorch_seconds)):
    print(f"{name:<8} {100 * mean:>8.2f} +- {100 * std:<4.2f} "
          f"{100 * base_mean:>8.2f} +- {100 * base_std:<4.2f} {seconds:>7}")
print(f"{'diff':<8} {100 * (goldpan[0] - reference[0]):>+8.2f} points   "
      f"{100 * (goldpan[2] - reference[2]):>+8.2f} points   (goldpan - pytorch)")
EOF
