package dev.goldpan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.Phase;
import dev.goldpan.api.v1alpha1.StageState;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * DistillationJobs in a Kueue LocalQueue, with the real Kueue (built from its Go module and
 * installed by e2e/kind/kueue): admission within quota, queueing beyond it, and suspension and
 * resumption by Kueue's rules (through the Workload, never against Kueue's hold on the Job).
 */
@ExtendWith(E2eNamespace.class)
class KueueE2E {

  private static final ResourceDefinitionContext WORKLOADS =
      new ResourceDefinitionContext.Builder()
          .withGroup("kueue.x-k8s.io")
          .withVersion("v1beta2")
          .withKind("Workload")
          .withPlural("workloads")
          .withNamespaced(true)
          .build();

  private final KubernetesClient client = E2eCluster.client();

  @BeforeAll
  static void installKueue() {
    E2eCluster.Result result =
        E2eCluster.run(null, List.of(E2eCluster.repository().resolve("e2e/kind/kueue").toString()));
    assertThat(result.exitCode()).as(result.output()).isZero();
  }

  @Test
  void kueueAdmitsWithinQuotaQueuesBeyondItAndSuspendsByItsRules(String namespace) {
    // Quota for one worker pod (half a CPU and 4Gi) in this namespace only.
    apply(
        """
        apiVersion: kueue.x-k8s.io/v1beta2
        kind: ResourceFlavor
        metadata: {name: %1$s}
        ---
        apiVersion: kueue.x-k8s.io/v1beta2
        kind: ClusterQueue
        metadata: {name: %1$s}
        spec:
          namespaceSelector:
            matchLabels: {kubernetes.io/metadata.name: %1$s}
          resourceGroups:
            - coveredResources: [cpu, memory]
              flavors:
                - name: %1$s
                  resources:
                    - {name: cpu, nominalQuota: 500m}
                    - {name: memory, nominalQuota: 5Gi}
        ---
        apiVersion: kueue.x-k8s.io/v1beta2
        kind: LocalQueue
        metadata: {name: team, namespace: %1$s}
        spec:
          clusterQueue: %1$s
        """
            .formatted(namespace));
    try {
      // Scoring for many epochs: the first job holds the quota for as long as the test runs.
      String[] queued = {
        "metadata.labels", "{kueue.x-k8s.io/queue-name: team}",
        "spec.selection.static.scoring.epochs", "1000",
        "spec.resources.cpu", "500m"
      };
      apply(Manifests.example(namespace, "first", queued));
      awaitRunningPod(namespace, "first-score");
      awaitStatus(
          namespace,
          "first",
          j -> stage(j) == StageState.RUNNING && j.getStatus().getReason() == null);
      assertThat(admitted(workload(namespace, "first-score"))).isTrue();

      // Over quota: the second job's score Job waits, suspended by Kueue, and its status says so.
      apply(Manifests.example(namespace, "second", queued));
      DistillationJob second = awaitStatus(namespace, "second", j -> stage(j) == StageState.QUEUED);
      assertThat(second.getStatus().getReason()).isEqualTo("Queued");
      assertThat(second.getStatus().getStage()).isEqualTo("score");
      assertThat(second.getStatus().getPhase()).isEqualTo(Phase.SCORING);
      assertThat(second.getStatus().getStages().getScore().getMessage())
          .isEqualTo("Job second-score waits for Kueue to admit it from LocalQueue team");
      assertThat(stageJob(namespace, "second-score").getSpec().getSuspend()).isTrue();
      assertThat(E2eCluster.stagePods(namespace, "second-score")).isEmpty();
      E2eCluster.Result columns = E2eCluster.kubectl(null, "get", "dj", "-n", namespace);
      assertThat(columns.output())
          .as(columns.output())
          .containsPattern("(?m)^NAME +PHASE +STAGE +REASON ")
          .containsPattern("(?m)^second +Scoring +score +Queued ");

      // Suspending the first job deactivates its Workload: Kueue evicts it, suspends its Job and
      // gives its quota to the second job.
      setSuspend(namespace, "first", true);
      awaitStatus(namespace, "first", j -> j.getStatus().getPhase() == Phase.SUSPENDED);
      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> Boolean.TRUE.equals(stageJob(namespace, "first-score").getSpec().getSuspend()));
      assertThat(workload(namespace, "first-score").<Boolean>get("spec", "active")).isFalse();
      awaitRunningPod(namespace, "second-score");
      awaitStatus(namespace, "second", j -> stage(j) == StageState.RUNNING);

      // Resuming activates it again; it queues behind the second job, which now holds the quota.
      setSuspend(namespace, "first", false);
      DistillationJob first = awaitStatus(namespace, "first", j -> stage(j) == StageState.QUEUED);
      assertThat(first.getStatus().getReason()).isEqualTo("Queued");
      assertThat(workload(namespace, "first-score").<Boolean>get("spec", "active")).isTrue();
      assertThat(stageJob(namespace, "first-score").getSpec().getSuspend()).isTrue();
      assertThat(E2eCluster.stagePods(namespace, "first-score"))
          .noneMatch(pod -> pod.getMetadata().getDeletionTimestamp() == null);
    } finally {
      client.resources(DistillationJob.class).inNamespace(namespace).delete();
      E2eCluster.kubectl(null, "delete", "clusterqueue,resourceflavor", namespace, "--wait=false");
    }
  }

  private static void apply(String yaml) {
    E2eCluster.Result result = E2eCluster.kubectl(yaml, "apply", "-f", "-");
    assertThat(result.exitCode()).as(result.output()).isZero();
  }

  /** kubectl patch of spec.suspend, as a user would. */
  private static void setSuspend(String namespace, String name, boolean suspend) {
    E2eCluster.Result patched =
        E2eCluster.kubectl(
            null,
            "patch",
            "dj/" + name,
            "-n",
            namespace,
            "--type=merge",
            "-p",
            "{\"spec\":{\"suspend\":" + suspend + "}}");
    assertThat(patched.exitCode()).as(patched.output()).isZero();
  }

  private static StageState stage(DistillationJob job) {
    return job.getStatus().getStages().getScore().getState();
  }

  private static DistillationJob awaitStatus(
      String namespace, String name, Predicate<DistillationJob> condition) {
    return await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> E2eCluster.job(namespace, name),
            job ->
                job != null
                    && job.getStatus() != null
                    && job.getStatus().getStages() != null
                    && condition.test(job));
  }

  private Job stageJob(String namespace, String name) {
    return client.batch().v1().jobs().inNamespace(namespace).withName(name).get();
  }

  /** The Workload Kueue made for a stage Job, found by the Job's UID as Kueue labels it. */
  private GenericKubernetesResource workload(String namespace, String jobName) {
    String uid = stageJob(namespace, jobName).getMetadata().getUid();
    List<GenericKubernetesResource> workloads =
        client
            .genericKubernetesResources(WORKLOADS)
            .inNamespace(namespace)
            .withLabel("kueue.x-k8s.io/job-uid", uid)
            .list()
            .getItems();
    assertThat(workloads).as("Workloads of Job " + jobName).hasSize(1);
    return workloads.get(0);
  }

  private static boolean admitted(GenericKubernetesResource workload) {
    List<Map<String, Object>> conditions = workload.get("status", "conditions");
    return conditions != null
        && conditions.stream()
            .anyMatch(c -> "Admitted".equals(c.get("type")) && "True".equals(c.get("status")));
  }

  private static Pod awaitRunningPod(String namespace, String job) {
    return await()
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                E2eCluster.stagePods(namespace, job).stream()
                    .filter(p -> "Running".equals(p.getStatus().getPhase()))
                    .findFirst(),
            Optional::isPresent)
        .orElseThrow();
  }
}
