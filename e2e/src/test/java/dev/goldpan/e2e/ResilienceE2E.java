package dev.goldpan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.goldpan.api.crd.TestManifests;
import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.Phase;
import dev.goldpan.api.v1alpha1.StageState;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.s3.S3Client;

/** Crashes, restarts, suspension and deletion, on a real control plane. */
@ExtendWith(E2eNamespace.class)
class ResilienceE2E {

  private final KubernetesClient client = E2eCluster.client();

  @Test
  void aKilledWorkerIsRetriedAndResumesFromItsCheckpoint(String namespace) throws IOException {
    String manifest =
        Manifests.example(
            namespace,
            "crash",
            "spec.distillation.iterations",
            "400",
            "spec.distillation.checkpointInterval",
            "50");
    assertThat(E2eCluster.kubectl(manifest, "apply", "-f", "-").exitCode()).isZero();
    String checkpoints = namespace + "/crash/checkpoints/";

    Pod worker = awaitRunningPod(namespace, "crash-distill");
    try (S3Client s3 = E2eCluster.s3()) {
      await()
          .atMost(Duration.ofMinutes(10))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> s3.listObjectsV2(r -> r.bucket("goldpan").prefix(checkpoints)).keyCount() > 0);
    }
    kill(worker);

    DistillationJob done =
        E2eCluster.awaitCondition(namespace, "crash", "Succeeded", Duration.ofMinutes(15));
    assertThat(done.getStatus().getStages().getDistill().getAttempts()).isGreaterThanOrEqualTo(2);
    Job distill = client.batch().v1().jobs().inNamespace(namespace).withName("crash-distill").get();
    assertThat(distill.getStatus().getFailed()).isEqualTo(1);
    try (S3Client s3 = E2eCluster.s3()) {
      JsonNode manifestJson =
          TestManifests.YAML.readTree(
              s3.getObjectAsBytes(r -> r.bucket("goldpan").key(namespace + "/crash/manifest.json"))
                  .asByteArray());
      JsonNode summary = manifestJson.path("stages").path("distill").path("summary");
      assertThat(summary.path("resumedFrom").asInt(-1))
          .as(summary.toString())
          .isGreaterThanOrEqualTo(50);
      assertThat(summary.path("message").asText()).contains("resumed at");
    }
  }

  @Test
  void suspendResumeAnOperatorRestartAndDeletion(String namespace) {
    String manifest =
        Manifests.example(
            namespace,
            "survivor",
            "spec.distillation.iterations",
            "400",
            "spec.distillation.checkpointInterval",
            "50");
    assertThat(E2eCluster.kubectl(manifest, "apply", "-f", "-").exitCode()).isZero();
    awaitRunningPod(namespace, "survivor-distill");

    // Suspend: the Job controller removes the stage's pods.
    setSuspend(namespace, "survivor", true);
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                E2eCluster.stagePods(namespace, "survivor-distill").stream()
                    .noneMatch(ResilienceE2E::alive));
    DistillationJob suspended =
        E2eCluster.awaitCondition(namespace, "survivor", "Suspended", Duration.ofMinutes(1));
    assertThat(suspended.getStatus().getPhase()).isEqualTo(Phase.SUSPENDED);
    assertThat(suspended.getStatus().getStages().getDistill().getState())
        .isEqualTo(StageState.SUSPENDED);

    // Resume, then take the operator away while the stage runs again.
    setSuspend(namespace, "survivor", false);
    awaitRunningPod(namespace, "survivor-distill");
    var deleted =
        E2eCluster.kubectl(
            null,
            "delete",
            "pod",
            "-n",
            E2eCluster.OPERATOR_NAMESPACE,
            "-l",
            "app.kubernetes.io/name=goldpan",
            "--wait=true");
    assertThat(deleted.exitCode()).as(deleted.output()).isZero();

    DistillationJob done =
        E2eCluster.awaitCondition(namespace, "survivor", "Succeeded", Duration.ofMinutes(15));
    assertThat(done.getStatus().getResult().getAccuracy()).isNotNull();
    assertThat(client.batch().v1().jobs().inNamespace(namespace).list().getItems())
        .extracting(j -> j.getMetadata().getName())
        .containsExactlyInAnyOrder("survivor-score", "survivor-distill", "survivor-evaluate");

    // Deleting the job removes everything it owns (the garbage collector's work).
    assertThat(
            E2eCluster.kubectl(null, "delete", "dj/survivor", "-n", namespace, "--wait=true")
                .exitCode())
        .isZero();
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                client.batch().v1().jobs().inNamespace(namespace).list().getItems().isEmpty()
                    && client.pods().inNamespace(namespace).list().getItems().isEmpty()
                    && client.configMaps().inNamespace(namespace).withName("survivor-task").get()
                        == null
                    && client.secrets().inNamespace(namespace).withName("survivor-progress").get()
                        == null);
  }

  @Test
  void aJobSurvivesARestartOfItsNode(String namespace) {
    String manifest =
        Manifests.example(
            namespace,
            "reboot",
            "spec.distillation.iterations",
            "300",
            "spec.distillation.checkpointInterval",
            "50");
    assertThat(E2eCluster.kubectl(manifest, "apply", "-f", "-").exitCode()).isZero();
    awaitRunningPod(namespace, "reboot-distill");

    // The whole node goes down and comes back: kubelet, containerd, the control plane's static
    // pods, the operator, MinIO and the worker.
    var restarted =
        E2eCluster.run(null, List.of("docker", "restart", "-t", "5", E2eCluster.kindNode()));
    assertThat(restarted.exitCode()).as(restarted.output()).isZero();

    DistillationJob done =
        await()
            .atMost(Duration.ofMinutes(20))
            .pollInterval(Duration.ofSeconds(3))
            .ignoreExceptions()
            .until(
                () -> E2eCluster.job(namespace, "reboot"),
                job ->
                    job.getStatus() != null
                        && job.getStatus().getPhase() != null
                        && (job.getStatus().getPhase() == Phase.SUCCEEDED
                            || job.getStatus().getPhase() == Phase.FAILED));
    assertThat(done.getStatus().getPhase())
        .as(String.valueOf(done.getStatus().getConditions()))
        .isEqualTo(Phase.SUCCEEDED);
    assertThat(client.batch().v1().jobs().inNamespace(namespace).list().getItems())
        .extracting(j -> j.getMetadata().getName())
        .containsExactlyInAnyOrder("reboot-score", "reboot-distill", "reboot-evaluate");
  }

  /** kubectl patch of spec.suspend, as a user would. */
  private static void setSuspend(String namespace, String name, boolean suspend) {
    var patched =
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

  private Pod awaitRunningPod(String namespace, String job) {
    return await()
        .atMost(Duration.ofMinutes(10))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                E2eCluster.stagePods(namespace, job).stream()
                    .filter(p -> "Running".equals(p.getStatus().getPhase()))
                    .findFirst(),
            Optional::isPresent)
        .orElseThrow();
  }

  private static boolean alive(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return pod.getMetadata().getDeletionTimestamp() == null
        && ("Running".equals(phase) || "Pending".equals(phase));
  }

  /** Kills the worker as a crash or an OOM kill would: SIGKILL, no chance to clean up. */
  private static void kill(Pod pod) {
    E2eCluster.killContainer(pod, "worker");
  }
}
