#!/usr/bin/env bash
# What causal selection costs: the time of one refresh (effects of every candidate under
# `networks` random networks, with DSA) against the time of one DM iteration, and the share of
# the distill stage that refreshing every N iterations takes. Runs `goldpan-worker benchmark`
# twice on full Fashion-MNIST, without causal selection and with a refresh every 15 iterations
# (one refresh among the measured iterations), and takes the difference.
#
# Usage: bench/causal-cost.sh [--width 32] [--batch-real 256] [--ipc 10] [--pool 3000]
#                             [--networks 2] [--interval 500]
# (the defaults are the spec's, except the width: 32, as in the examples; --pool is the
# candidates per class, 3,000 being keepRatio 0.5 of Fashion-MNIST's 6,000)
set -euo pipefail
cd "$(dirname "$0")/.."
width=32 batch_real=256 ipc=10 pool=3000 networks=2 interval=500
while [[ $# -gt 0 ]]; do
  case "$1" in
    --width) width=$2; shift 2 ;;
    --batch-real) batch_real=$2; shift 2 ;;
    --ipc) ipc=$2; shift 2 ;;
    --pool) pool=$2; shift 2 ;;
    --networks) networks=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    *) echo "bench/causal-cost.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
jar=${JAR:-worker/target/goldpan-worker.jar}
[[ -f "$jar" ]] || { echo "bench/causal-cost.sh: $jar is missing; run mvn -B -DskipTests package" >&2; exit 1; }
iterations=20
measure() {  # causal interval -> seconds of the measured iterations
  java -Dai.djl.offline=true -jar "$jar" benchmark --width "$width" --batch-real "$batch_real" \
    --images-per-class "$ipc" --pool-per-class "$pool" --dm-iterations "$iterations" \
    --causal-interval "$1" --causal-networks "$networks" --score-batches 1 --eval-epochs 1 2>/dev/null |
    tail -1 | /usr/bin/python3 -c "import json,sys; print($iterations / json.loads(sys.stdin.read())['dmIterationsPerSecond'])"
}
plain=$(measure 0)
# The benchmark warms up for 3 iterations (a refresh at 0), then measures iterations 3..22: one
# refresh, at 15.
with=$(measure 15)
/usr/bin/python3 - "$plain" "$with" "$iterations" "$interval" "$width" "$batch_real" "$ipc" "$pool" "$networks" <<'PY'
import sys
plain, with_causal, iterations, interval = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
width, batch, ipc, pool, networks = sys.argv[5:]
iteration = plain / iterations
refresh = with_causal - plain
print(f"width {width}, batchReal {batch}, ipc {ipc}, {pool} candidates per class, {networks} networks per refresh")
print(f"DM iteration {iteration:.3f} s, one refresh {refresh:.1f} s = {refresh / iteration:.0f} iterations")
print(f"refresh every {interval} iterations: +{100 * refresh / (interval * iteration):.1f}% of the distill stage")
PY
