package dev.goldpan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.ProgressStatus;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What only a cluster with real containers shows: pod-security admission, Service DNS between pods,
 * readiness probes, GPU scheduling and image pulls.
 */
@ExtendWith(E2eNamespace.class)
class ClusterE2E {

  private final KubernetesClient client = E2eCluster.client();

  @Test
  void workersAreAdmittedUnderRestrictedPodSecurityAndReportProgressThroughTheService(
      String namespace) {
    assertThat(client.namespaces().withName(namespace).get().getMetadata().getLabels())
        .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
    // Admission is enforced: a privileged pod is refused in the same namespace.
    var privileged =
        E2eCluster.kubectl(
            null,
            "run",
            "privileged",
            "-n",
            namespace,
            "--image=" + E2eCluster.chartWorkerImage(),
            "--restart=Never",
            "--overrides={\"spec\":{\"containers\":[{\"name\":\"privileged\",\"image\":\""
                + E2eCluster.chartWorkerImage()
                + "\",\"securityContext\":{\"privileged\":true}}]}}");
    assertThat(privileged.exitCode()).isNotZero();
    assertThat(privileged.output()).contains("violates PodSecurity \"restricted");

    // The chart's progress URL is the operator's Service name, resolved by the cluster's DNS.
    Container operator =
        client
            .apps()
            .deployments()
            .inNamespace(E2eCluster.OPERATOR_NAMESPACE)
            .withName("goldpan")
            .get()
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    assertThat(operator.getEnv())
        .filteredOn(e -> e.getName().equals("GOLDPAN_OPERATOR_PROGRESS_URL"))
        .extracting(EnvVar::getValue)
        .containsExactly("http://goldpan." + E2eCluster.OPERATOR_NAMESPACE + ".svc:8080");

    String manifest =
        Manifests.example(
            namespace,
            "progress",
            "spec.distillation.iterations",
            "300",
            "spec.evaluation.epochs",
            "5",
            "spec.selection.static.scoring.epochs",
            "1");
    assertThat(E2eCluster.kubectl(manifest, "apply", "-f", "-").exitCode()).isZero();

    // Distinct progress reports of the distill stage, as the status shows them over time.
    List<Long> steps = new ArrayList<>();
    await()
        .atMost(Duration.ofMinutes(10))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              DistillationJob job = E2eCluster.job(namespace, "progress");
              ProgressStatus progress =
                  job.getStatus() == null ? null : job.getStatus().getProgress();
              if (progress != null
                  && "distill".equals(progress.getStage())
                  && (steps.isEmpty() || !steps.get(steps.size() - 1).equals(progress.getStep()))) {
                steps.add(progress.getStep());
              }
              return steps.size() >= 3;
            });
    assertThat(steps).isSorted().doesNotHaveDuplicates();
    assertThat(steps.get(0)).isLessThan(300L);

    Pod worker = E2eCluster.stagePods(namespace, "progress-distill").get(0);
    var security = worker.getSpec().getContainers().get(0).getSecurityContext();
    assertThat(security.getReadOnlyRootFilesystem()).isTrue();
    assertThat(security.getAllowPrivilegeEscalation()).isFalse();
    assertThat(worker.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
    E2eCluster.awaitCondition(namespace, "progress", "Succeeded", Duration.ofMinutes(10));
  }

  @Test
  void theOperatorIsReadyByItsOwnHealthEndpoint(String namespace) {
    Pod operator =
        client
            .pods()
            .inNamespace(E2eCluster.OPERATOR_NAMESPACE)
            .withLabel("app.kubernetes.io/name", "goldpan")
            .list()
            .getItems()
            .get(0);
    Container container = operator.getSpec().getContainers().get(0);
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
    assertThat(operator.getStatus().getConditions())
        .filteredOn(c -> c.getType().equals("Ready"))
        .extracting(PodCondition::getStatus)
        .containsExactly("True");
    // What the kubelet's probe asks, asked through the API server's proxy to the pod.
    var probePort = container.getReadinessProbe().getHttpGet().getPort();
    int port =
        probePort.getIntVal() != null
            ? probePort.getIntVal()
            : container.getPorts().stream()
                .filter(p -> probePort.getStrVal().equals(p.getName()))
                .findFirst()
                .orElseThrow()
                .getContainerPort();
    var health =
        E2eCluster.kubectl(
            null,
            "get",
            "--raw",
            "/api/v1/namespaces/"
                + E2eCluster.OPERATOR_NAMESPACE
                + "/pods/"
                + operator.getMetadata().getName()
                + ":"
                + port
                + "/proxy/q/health/ready");
    assertThat(health.exitCode()).as(health.output()).isZero();
    assertThat(health.output()).contains("\"status\": \"UP\"");
  }

  @Test
  void aJobGetsTheGpusTheNodeAdvertisesAndOneThatAsksForMoreSaysWhyItWaits(String namespace) {
    String node = client.nodes().list().getItems().get(0).getMetadata().getName();
    setGpuCapacity(node, "1");
    try {
      String image = E2eCluster.chartWorkerImage();
      String one =
          Manifests.example(
              namespace,
              "one-gpu",
              "spec.resources.gpus",
              "1",
              "spec.resources.cpu",
              "100m",
              "spec.worker.image",
              image);
      String two =
          Manifests.example(
              namespace,
              "two-gpus",
              "spec.resources.gpus",
              "2",
              "spec.resources.cpu",
              "100m",
              "spec.worker.image",
              image);
      assertThat(E2eCluster.kubectl(one, "apply", "-f", "-").exitCode()).isZero();
      assertThat(E2eCluster.kubectl(two, "apply", "-f", "-").exitCode()).isZero();

      await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> scheduled(namespace, "one-gpu-score"));
      Pod scheduled = E2eCluster.stagePods(namespace, "one-gpu-score").get(0);
      assertThat(scheduled.getSpec().getContainers().get(0).getResources().getLimits())
          .containsKey("nvidia.com/gpu");
      // Two GPUs are more than the node has at all.
      assertThat(awaitScoreStageMessage(namespace, "two-gpus"))
          .contains("cannot be scheduled")
          .contains("Insufficient nvidia.com/gpu");
      assertThat(scheduled(namespace, "two-gpus-score")).isFalse();
    } finally {
      setGpuCapacity(node, null);
    }
  }

  @Test
  void aJobWhoseImageCannotBePulledSaysSo(String namespace) {
    String manifest =
        Manifests.example(
            namespace,
            "no-image",
            "spec.worker.image",
            "goldpan.invalid/goldpan-worker:none",
            "spec.resources.gpus",
            "0");
    assertThat(E2eCluster.kubectl(manifest, "apply", "-f", "-").exitCode()).isZero();

    // The pull error is not always the first reason the status gives. Once it was a FailedMount:
    // the kubelet's first try to mount the data claim was refused ("no relationship found between
    // node ... and this object", the node authorizer had not yet linked the new pod to its claim).
    // The kubelet retries mounts, and the pull comes after them.
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () ->
                assertThat(scoreStageMessage(namespace, "no-image"))
                    .containsAnyOf("ErrImagePull", "ImagePullBackOff")
                    .contains("goldpan.invalid/goldpan-worker:none"));
  }

  /** The score stage's message in the status of job {@code name}, once there is one. */
  private static String awaitScoreStageMessage(String namespace, String name) {
    return await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> scoreStageMessage(namespace, name), message -> message != null);
  }

  /** The score stage's message in the status of job {@code name}; null while there is none. */
  private static String scoreStageMessage(String namespace, String name) {
    var status = E2eCluster.job(namespace, name).getStatus();
    var stage = status == null || status.getStages() == null ? null : status.getStages().getScore();
    return stage == null ? null : stage.getMessage();
  }

  private boolean scheduled(String namespace, String job) {
    return E2eCluster.stagePods(namespace, job).stream()
        .anyMatch(p -> p.getSpec().getNodeName() != null);
  }

  /**
   * Advertises {@code count} nvidia.com/gpu on the node (null: none), as a device plugin would, by
   * patching the node's status: the scheduler takes it as real capacity.
   */
  private static void setGpuCapacity(String node, String count) {
    String patch =
        count == null
            ? "[{\"op\":\"remove\",\"path\":\"/status/capacity/nvidia.com~1gpu\"}]"
            : "[{\"op\":\"add\",\"path\":\"/status/capacity/nvidia.com~1gpu\",\"value\":\""
                + count
                + "\"}]";
    var result =
        E2eCluster.kubectl(
            null, "patch", "node", node, "--subresource=status", "--type=json", "-p", patch);
    if (count != null) {
      assertThat(result.exitCode()).as(result.output()).isZero();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  E2eCluster.client()
                      .nodes()
                      .withName(node)
                      .get()
                      .getStatus()
                      .getAllocatable()
                      .get("nvidia.com/gpu"),
              gpus -> gpus != null && gpus.getAmount().equals(count));
    }
  }
}
