#!/usr/bin/env bash
# Operator load benchmark (issue 5): the packaged operator, as its own process, against the
# Fabric8 mock API server (default) or a real cluster (--kubeconfig FILE); N DistillationJobs
# created at once. Prints start-up time, time until every score Job exists, reconcile latency
# percentiles, heap and RSS.
#
#   bench/operator-load.sh [--jobs 500] [--kubeconfig FILE] [--max-ram 512m]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -ntp -pl operator -am package -DskipTests
mvn -B -q -ntp -pl operator exec:java -Dexec.classpathScope=test \
  -Dexec.mainClass=dev.goldpan.operator.OperatorLoadBenchmark -Dexec.args="$*"
