package dev.goldpan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.DistillationJobStatus;
import dev.goldpan.api.v1alpha1.Phase;
import dev.goldpan.api.v1alpha1.StageState;
import dev.goldpan.api.v1alpha1.StageStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Failures the user must see, on a real API server: names too long for what the operator derives,
 * children it cannot create, pods that cannot start, and finished jobs that stay finished (once in
 * the Events, also across an operator restart).
 */
@ExtendWith(E2eNamespace.class)
class FailuresE2E {

  private final KubernetesClient client = E2eCluster.client();

  @Test
  void aNameTooLongForTheStageJobsIsRefusedAtAdmissionNamingTheLimit(String namespace) {
    String longest = "n".repeat(51);
    var refused =
        E2eCluster.kubectl(
            Manifests.example(namespace, longest + "x"), "apply", "--dry-run=server", "-f", "-");
    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.output()).contains("at most 51 characters").contains("<name>-distill-999");
    assertThat(
            E2eCluster.kubectl(
                    Manifests.example(namespace, longest), "apply", "--dry-run=server", "-f", "-")
                .exitCode())
        .isZero();
    // The limit is the API server's: the distill Job of the longest name at its most shards is
    // accepted, one character more is not.
    assertThat(indexedJob(namespace, longest + "-distill", 1000).exitCode()).isZero();
    var tooLong = indexedJob(namespace, longest + "x-distill", 1000);
    assertThat(tooLong.exitCode()).isNotZero();
    assertThat(tooLong.output()).contains("invalid DNS label");
  }

  @Test
  void aChildThatCannotBeCreatedSaysSoInTheStatusAndOnceInTheEvents(String namespace) {
    // The user's own ConfigMap holds the name the operator would give the job's task.
    assertThat(
            E2eCluster.kubectl(
                    null,
                    "create",
                    "configmap",
                    "taken-task",
                    "-n",
                    namespace,
                    "--from-literal=a=b")
                .exitCode())
        .isZero();
    apply(Manifests.example(namespace, "taken", "spec.resources.cpu", "100m"));

    DistillationJob job =
        await()
            .atMost(Duration.ofMinutes(2))
            .pollInterval(Duration.ofSeconds(1))
            .until(
                () -> E2eCluster.job(namespace, "taken"),
                j ->
                    condition(j, "Reconciled")
                        .filter(c -> "False".equals(c.getStatus()))
                        .isPresent());
    Condition reconciled = condition(job, "Reconciled").orElseThrow();
    assertThat(reconciled.getReason()).isEqualTo("AlreadyExists");
    assertThat(reconciled.getMessage()).contains("ConfigMap taken-task").contains("already exists");
    // JOSDK retries (1, 2, 4 s...): the failure stays one Event, and the user's ConfigMap stays.
    await()
        .during(Duration.ofSeconds(8))
        .atMost(Duration.ofSeconds(12))
        .until(() -> events(namespace, "taken", "ReconcileFailed").size() == 1);
    assertThat(client.configMaps().inNamespace(namespace).withName("taken-task").get().getData())
        .containsExactly(Map.entry("a", "b"));
    assertThat(client.batch().v1().jobs().inNamespace(namespace).list().getItems()).isEmpty();

    // Once the name is free, the next retry makes the task and the first stage.
    client.configMaps().inNamespace(namespace).withName("taken-task").delete();
    E2eCluster.awaitCondition(namespace, "taken", "Reconciled", Duration.ofMinutes(3));
    await()
        .atMost(Duration.ofMinutes(1))
        .until(
            () -> client.batch().v1().jobs().inNamespace(namespace).withName("taken-score").get(),
            j -> j != null);
  }

  @Test
  void aPodWhoseSecretIsMissingMakesItsStageWaitWithTheKubeletsReason(String namespace) {
    apply(
        Manifests.example(
            namespace,
            "unmounted",
            "spec.output.credentialsSecret",
            "no-such-secret",
            "spec.resources.cpu",
            "100m"));

    StageStatus score =
        await()
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofSeconds(2))
            .until(
                () -> E2eCluster.job(namespace, "unmounted").getStatus().getStages().getScore(),
                stage -> stage != null && stage.getState() == StageState.WAITING);
    assertThat(score.getReason()).isEqualTo("FailedMount");
    assertThat(score.getMessage()).contains("cannot start").contains("no-such-secret");
    DistillationJob job = E2eCluster.job(namespace, "unmounted");
    assertThat(condition(job, "ScoresReady").orElseThrow().getReason()).isEqualTo("FailedMount");
    // Events are written off the reconcile's path: wait for it, then it is the only one.
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> !events(namespace, "unmounted", "ScoreWaiting").isEmpty());
    assertThat(events(namespace, "unmounted", "ScoreWaiting")).hasSize(1);
  }

  @Test
  void aFailedJobStaysFailedWhenItsStageJobIsDeletedAndAcrossARestartIsAnnouncedOnce(
      String namespace) {
    apply(
        Manifests.example(
            namespace,
            "doomed",
            "spec.dataset.source",
            "pvc://fashion-mnist/no/such/directory/",
            "spec.resources.cpu",
            "100m"));
    DistillationJob failed =
        E2eCluster.awaitCondition(namespace, "doomed", "Failed", Duration.ofMinutes(5));
    assertThat(condition(failed, "Failed").orElseThrow().getReason()).isEqualTo("InvalidInput");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> events(namespace, "doomed", "Failed").size() == 1);

    var deleted =
        E2eCluster.kubectl(
            null, "delete", "job", "doomed-score", "-n", namespace, "--wait", "--timeout=120s");
    assertThat(deleted.exitCode()).as(deleted.output()).isZero();
    restartOperator();
    // A change to the job, so that the new operator certainly reconciles it.
    client
        .resources(DistillationJob.class)
        .inNamespace(namespace)
        .withName("doomed")
        .edit(
            j -> {
              j.getMetadata().setAnnotations(Map.of("goldpan.dev/e2e", "touched"));
              return j;
            });

    await()
        .during(Duration.ofSeconds(10))
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                client.batch().v1().jobs().inNamespace(namespace).withName("doomed-score").get()
                    == null);
    DistillationJobStatus status = E2eCluster.job(namespace, "doomed").getStatus();
    assertThat(status.getPhase()).isEqualTo(Phase.FAILED);
    assertThat(status.getStages().getScore().getState()).isEqualTo(StageState.FAILED);
    assertThat(condition(E2eCluster.job(namespace, "doomed"), "Failed").orElseThrow().getReason())
        .isEqualTo("InvalidInput");
    assertThat(events(namespace, "doomed", "Failed")).hasSize(1);
    assertThat(events(namespace, "doomed", "ScoreFailed")).hasSize(1);
  }

  /** Server-side dry run of an Indexed Job of {@code completions} named {@code name}. */
  private static E2eCluster.Result indexedJob(String namespace, String name, int completions) {
    String job =
        """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: %s, namespace: %s}
        spec:
          completionMode: Indexed
          completions: %d
          parallelism: 1
          suspend: true
          template:
            spec:
              restartPolicy: Never
              containers: [{name: c, image: %s}]
        """
            .formatted(name, namespace, completions, E2eCluster.chartWorkerImage());
    return E2eCluster.kubectl(job, "apply", "--dry-run=server", "-f", "-");
  }

  /** Deletes the operator's pod and waits for its successor to be ready. */
  static void restartOperator() {
    var restart =
        E2eCluster.kubectl(
            null, "rollout", "restart", "-n", E2eCluster.OPERATOR_NAMESPACE, "deployment/goldpan");
    assertThat(restart.exitCode()).as(restart.output()).isZero();
    var status =
        E2eCluster.kubectl(
            null,
            "rollout",
            "status",
            "-n",
            E2eCluster.OPERATOR_NAMESPACE,
            "deployment/goldpan",
            "--timeout=300s");
    assertThat(status.exitCode()).as(status.output()).isZero();
  }

  private static void apply(String manifest) {
    var applied = E2eCluster.kubectl(manifest, "apply", "-f", "-");
    assertThat(applied.exitCode()).as(applied.output()).isZero();
  }

  static java.util.Optional<Condition> condition(DistillationJob job, String type) {
    if (job == null || job.getStatus() == null || job.getStatus().getConditions() == null) {
      return java.util.Optional.empty();
    }
    return job.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst();
  }

  /** The Events of DistillationJob {@code name} with {@code reason}. */
  static List<Event> events(String namespace, String name, String reason) {
    return E2eCluster.client().v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> "DistillationJob".equals(e.getInvolvedObject().getKind()))
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }
}
