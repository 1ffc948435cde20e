#!/usr/bin/env bash
# Operator load benchmark (issues 5 and 12): the packaged operator, as its own process with the
# chart's memory limit, against the Fabric8 mock API server (default) or a real cluster
# (--kubeconfig FILE). Runs from a fresh clone: it builds the operator and its test classes in
# one reactor (no mvn install) and runs the benchmark client on the class path Maven resolves.
#
#   bench/operator-load.sh [--mode jobs|progress] [--jobs 500] [--kubeconfig FILE]
#                          [--max-ram 512m] [--pause-deployment NAMESPACE/NAME] [--jfr FILE]
#                          [--rate 1000] [--seconds 20] [--timeout 900] [--operator-jar JAR]
#
#   --mode jobs        N DistillationJobs created at once: start-up, time until every score Job
#                      exists and every status is written, reconcile p50/p95/p99, metric series,
#                      heap and RSS. On a real cluster the namespace gets a ResourceQuota of zero
#                      pods: the stage Jobs exist, their pods are refused, so that thousands of
#                      jobs start no worker pod on a shared machine (the operator is what is
#                      measured, not the scheduler or the kubelet).
#   --mode progress    a real cluster only (its TokenReview checks the tokens): N suspended jobs,
#                      one fake worker pod each (Pending for good: its nodeSelector matches no
#                      node) with a token bound to it, then --rate reports/s for --seconds to the
#                      progress endpoint; prints report latency, how long each job's last report
#                      took to reach its status (budget: progress.min-interval, 2 s), and the API
#                      server's requests per report.
#   --pause-deployment scale that Deployment (e.g. the chart's operator, goldpan/goldpan-operator
#                      on e2e/kind) to zero for the run and back afterwards, so that only the
#                      benchmark's operator reconciles.
#   --jfr FILE         record the operator with JDK Flight Recorder (settings=profile)
#
# Each run uses a fresh namespace bench-NNNNN and deletes it afterwards; the operator's log is
# operator/target/bench-operator.log.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -ntp -pl operator -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
classpath="operator/target/test-classes:operator/target/classes:$(cat operator/target/bench-classpath.txt)"
exec java -cp "$classpath" dev.goldpan.operator.OperatorLoadBenchmark "$@"
