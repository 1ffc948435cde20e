package dev.goldpan.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.ResourcesSpec;
import dev.goldpan.operator.OperatorConfig;
import dev.goldpan.operator.Stage;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The worker pod of a stage Job: its volumes, secrets, resources, image and scheduling. */
class WorkerPodsTest {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private static final OperatorConfig CONFIG =
      new StubConfig(Optional.of("goldpan/worker:1.0"), "nvidia.com/gpu", Optional.empty());

  @Test
  void datasetAndOutputClaimsAreMountedReadOnlyAndReadWrite() {
    PodTemplateSpec template =
        template(spec("pvc://data/fashion-mnist/", "pvc://results/run-1/"), CONFIG);

    assertThat(pvcVolumes(template))
        .extracting(
            v -> v.getPersistentVolumeClaim().getClaimName(),
            v -> v.getPersistentVolumeClaim().getReadOnly())
        .containsExactly(tuple("data", true), tuple("results", false));
    assertThat(claimMount(template, "data").getMountPath()).isEqualTo("/mnt/goldpan/data");
    assertThat(claimMount(template, "data").getReadOnly()).isTrue();
    assertThat(claimMount(template, "results").getMountPath()).isEqualTo("/mnt/goldpan/results");
    assertThat(claimMount(template, "results").getReadOnly()).isFalse();
  }

  @Test
  void aClaimSharedByDatasetAndOutputIsMountedOnceReadWrite() {
    PodTemplateSpec template =
        template(spec("pvc://shared/fashion-mnist/", "pvc://shared/out/"), CONFIG);

    assertThat(pvcVolumes(template))
        .extracting(
            v -> v.getPersistentVolumeClaim().getClaimName(),
            v -> v.getPersistentVolumeClaim().getReadOnly())
        .containsExactly(tuple("shared", false));
    assertThat(worker(template).getVolumeMounts())
        .filteredOn(m -> m.getMountPath().startsWith("/mnt/goldpan/"))
        .extracting(VolumeMount::getMountPath, VolumeMount::getReadOnly)
        .containsExactly(tuple("/mnt/goldpan/shared", false));
  }

  @Test
  void precomputedScoresOnTheirOwnClaimAreMountedReadOnly() {
    String spec =
        spec("pvc://data/fashion-mnist/", "pvc://results/run-1/")
            + """
            selection:
              static:
                criterion: precomputed
                scoresSource: pvc://scores/s.npy
            """;

    PodTemplateSpec template = template(spec, CONFIG);

    assertThat(pvcVolumes(template))
        .extracting(
            v -> v.getPersistentVolumeClaim().getClaimName(),
            v -> v.getPersistentVolumeClaim().getReadOnly())
        .containsExactlyInAnyOrder(
            tuple("data", true), tuple("scores", true), tuple("results", false));
    assertThat(claimMount(template, "scores").getMountPath()).isEqualTo("/mnt/goldpan/scores");
    assertThat(claimMount(template, "scores").getReadOnly()).isTrue();
  }

  @Test
  void longOrDottedClaimNamesStillGiveValidVolumeNames() {
    String claim = "team-a.fashion-mnist." + "x".repeat(60);
    PodTemplateSpec template =
        template(spec("pvc://" + claim + "/train/", "pvc://results/r/"), CONFIG);

    assertThat(pvcVolumes(template))
        .extracting(Volume::getName)
        .allSatisfy(
            name ->
                assertThat(name)
                    .hasSizeLessThanOrEqualTo(63)
                    .matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?"));
    assertThat(claimMount(template, claim).getMountPath()).isEqualTo("/mnt/goldpan/" + claim);
  }

  @Test
  void s3LocationsMountTheirCredentials() {
    String spec =
        """
        dataset:
          format: idx
          source: s3://datasets/fashion-mnist/
          credentialsSecret: dataset-creds
        output:
          location: s3://goldpan/x
          credentialsSecret: output-creds
        """;

    PodTemplateSpec template = template(spec, CONFIG);

    assertThat(pvcVolumes(template)).isEmpty();
    assertThat(volume(template, "output-s3").getSecret().getSecretName()).isEqualTo("output-creds");
    assertThat(mount(template, "output-s3").getMountPath())
        .isEqualTo("/var/run/secrets/goldpan/s3");
    assertThat(mount(template, "output-s3").getReadOnly()).isTrue();
    assertThat(volume(template, "dataset-s3").getSecret().getSecretName())
        .isEqualTo("dataset-creds");
    assertThat(mount(template, "dataset-s3").getMountPath())
        .isEqualTo("/var/run/secrets/goldpan/dataset-s3");
  }

  @Test
  void withoutCredentialsNoSecretIsMounted() {
    PodTemplateSpec template = template(spec("pvc://data/d/", "pvc://results/r/"), CONFIG);

    assertThat(template.getSpec().getVolumes())
        .extracting(Volume::getName)
        .doesNotContain("output-s3", "dataset-s3");
  }

  @Test
  void noGpusNoGpuLimit() {
    String spec = spec("pvc://data/d/", "pvc://results/r/") + "resources:\n  gpus: 0\n";

    Map<String, Quantity> limits = worker(template(spec, CONFIG)).getResources().getLimits();

    assertThat(limits).doesNotContainKeys("nvidia.com/gpu", "amd.com/gpu");
  }

  @Test
  void theOperatorsGpuResourceReplacesTheSchemaDefault() {
    String spec =
        spec("pvc://data/d/", "pvc://results/r/")
            + """
            resources:
              gpus: 2
              memory: 8Gi
            """;
    OperatorConfig amd = new StubConfig(Optional.of("w"), "amd.com/gpu", Optional.empty());

    Map<String, Quantity> limits = worker(template(spec, amd)).getResources().getLimits();

    assertThat(limits)
        .containsOnly(
            Map.entry("amd.com/gpu", new Quantity("2")), Map.entry("memory", new Quantity("8Gi")));
  }

  @Test
  void theSpecsGpuResourceWins() {
    String spec =
        spec("pvc://data/d/", "pvc://results/r/")
            + """
            resources:
              gpus: 1
              gpuResource: nvidia.com/mig-1g.10gb
            """;
    OperatorConfig amd = new StubConfig(Optional.of("w"), "amd.com/gpu", Optional.empty());

    Map<String, Quantity> limits = worker(template(spec, amd)).getResources().getLimits();

    assertThat(limits).containsOnly(Map.entry("nvidia.com/mig-1g.10gb", new Quantity("1")));
  }

  @Test
  void theSpecsImageWinsOverTheOperators() {
    String spec =
        spec("pvc://data/d/", "pvc://results/r/")
            + """
            worker:
              image: registry.example/goldpan-worker:dev
            """;

    assertThat(worker(template(spec, CONFIG)).getImage())
        .isEqualTo("registry.example/goldpan-worker:dev");
    assertThat(
            worker(
                    template(
                        spec("pvc://data/d/", "pvc://results/r/") + "resources: {gpus: 0}\n",
                        CONFIG))
                .getImage())
        .isEqualTo("goldpan/worker:1.0");
    assertThat(
            WorkerPods.image(
                job(spec("pvc://data/d/", "pvc://results/r/")),
                new StubConfig(Optional.empty(), "nvidia.com/gpu", Optional.empty())))
        .isNull();
  }

  @Test
  void jobsThatAskForGpusGetTheCudaImageUnlessTheSpecNamesOne() {
    String cpu = spec("pvc://data/d/", "pvc://results/r/") + "resources: {gpus: 0}\n";
    String gpu = spec("pvc://data/d/", "pvc://results/r/") + "resources: {gpus: 2}\n";
    String gpuWithImage = gpu + "worker: {image: registry.example/goldpan-worker:dev}\n";

    assertThat(worker(template(cpu, CONFIG)).getImage()).isEqualTo("goldpan/worker:1.0");
    assertThat(worker(template(gpu, CONFIG)).getImage()).isEqualTo("goldpan/worker:1.0-cuda");
    assertThat(worker(template(gpuWithImage, CONFIG)).getImage())
        .isEqualTo("registry.example/goldpan-worker:dev");
    // The spec's default asks for one GPU.
    assertThat(worker(template(spec("pvc://data/d/", "pvc://results/r/"), CONFIG)).getImage())
        .isEqualTo("goldpan/worker:1.0-cuda");
  }

  @Test
  void theProgressUrlNamesTheJob() {
    OperatorConfig withUrl =
        new StubConfig(
            Optional.of("w"),
            "nvidia.com/gpu",
            Optional.of("http://goldpan-operator.goldpan.svc:8080/"));

    List<EnvVar> env =
        worker(template(spec("pvc://data/d/", "pvc://results/r/"), withUrl)).getEnv();

    assertThat(env)
        .filteredOn(e -> e.getName().equals("GOLDPAN_PROGRESS_URL"))
        .extracting(EnvVar::getValue)
        .containsExactly("http://goldpan-operator.goldpan.svc:8080/progress/team-a/fmnist");
  }

  @Test
  void theProgressTokenIsTheKubeletsProjectedTokenForTheOperatorOnly() {
    PodTemplateSpec template = template(spec("pvc://data/d/", "pvc://results/r/"), CONFIG);

    var token =
        volume(template, "progress-token")
            .getProjected()
            .getSources()
            .get(0)
            .getServiceAccountToken();
    assertThat(token.getAudience()).isEqualTo("goldpan-progress");
    assertThat(token.getExpirationSeconds()).isEqualTo(3600L);
    assertThat(worker(template).getEnv())
        .filteredOn(e -> e.getName().equals("GOLDPAN_PROGRESS_TOKEN_FILE"))
        .extracting(EnvVar::getValue)
        .containsExactly("/var/run/secrets/goldpan/progress/" + token.getPath());
    // No token for the API server itself.
    assertThat(template.getSpec().getAutomountServiceAccountToken()).isFalse();
    assertThat(template.getMetadata().getLabels())
        .containsEntry("goldpan.dev/job-uid", "6a1c2f0e-4b7d-4d0e-9a51-3f2b8c9d0e11");
  }

  @Test
  void intraOpThreadsFollowTheCpusAskedFor() {
    ResourcesSpec resources = new ResourcesSpec();
    assertThat(WorkerPods.threads(resources)).isEmpty();
    resources.setCpu("1");
    assertThat(WorkerPods.threads(resources)).contains(1);
    resources.setCpu("2500m");
    assertThat(WorkerPods.threads(resources)).contains(3);
    resources.setCpu("100m");
    assertThat(WorkerPods.threads(resources)).contains(1);
    resources.setCpu("4");
    assertThat(WorkerPods.threads(resources)).contains(4);
  }

  @Test
  void anImageOffTheAllowListIsRefusedNamingTheList() {
    OperatorConfig allowList =
        new StubConfig(
            Optional.of("w"),
            "nvidia.com/gpu",
            Optional.empty(),
            List.of("ghcr.io/goldpan/", "registry.example/team-a/worker:"));
    String spec = spec("pvc://data/d/", "pvc://results/r/");

    assertThat(WorkerPods.imageRefusal(job(spec), allowList)).isEmpty();
    assertThat(
            WorkerPods.imageRefusal(
                job(spec + "worker:\n  image: ghcr.io/goldpan/goldpan-worker:0.2\n"), allowList))
        .isEmpty();
    assertThat(
            WorkerPods.imageRefusal(
                job(spec + "worker:\n  image: registry.example/team-a/worker:1\n"), allowList))
        .isEmpty();
    assertThat(
            WorkerPods.imageRefusal(
                job(spec + "worker:\n  image: evil.example/miner:1\n"), allowList))
        .hasValueSatisfying(
            message ->
                assertThat(message)
                    .contains("evil.example/miner:1")
                    .contains("ghcr.io/goldpan/, registry.example/team-a/worker:"));
    assertThat(
            WorkerPods.imageRefusal(job(spec + "worker:\n  image: evil.example/miner:1\n"), CONFIG))
        .as("no allow-list: any image")
        .isEmpty();
  }

  @Test
  void withoutAProgressUrlThereIsNone() {
    List<EnvVar> env = worker(template(spec("pvc://data/d/", "pvc://results/r/"), CONFIG)).getEnv();

    assertThat(env).extracting(EnvVar::getName).doesNotContain("GOLDPAN_PROGRESS_URL");
    assertThat(env).extracting(EnvVar::getName).contains("GOLDPAN_PROGRESS_TOKEN_FILE");
  }

  @Test
  void thePodTemplateIsCopiedButTheOperatorsLabelsWin() {
    String spec =
        spec("pvc://data/d/", "pvc://results/r/")
            + """
            podTemplate:
              nodeSelector:
                pool: gpu-a100
              tolerations:
                - key: nvidia.com/gpu
                  operator: Exists
                  effect: NoSchedule
              priorityClassName: research-low
              labels:
                team: vision
                goldpan.dev/job: someone-else
                goldpan.dev/stage: evaluate
              annotations:
                cost-center: "4711"
            """;

    PodTemplateSpec template = template(spec, CONFIG);

    assertThat(template.getSpec().getNodeSelector()).containsExactly(Map.entry("pool", "gpu-a100"));
    assertThat(template.getSpec().getTolerations())
        .extracting(Toleration::getKey, Toleration::getOperator, Toleration::getEffect)
        .containsExactly(tuple("nvidia.com/gpu", "Exists", "NoSchedule"));
    assertThat(template.getSpec().getPriorityClassName()).isEqualTo("research-low");
    assertThat(template.getMetadata().getAnnotations())
        .containsExactly(Map.entry("cost-center", "4711"));
    assertThat(template.getMetadata().getLabels())
        .containsEntry("team", "vision")
        .containsEntry("goldpan.dev/job", "fmnist")
        .containsEntry("goldpan.dev/stage", "distill");
  }

  private static PodTemplateSpec template(String spec, OperatorConfig config) {
    return WorkerPods.template(job(spec), Stage.DISTILL, config);
  }

  private static String spec(String source, String location) {
    return """
        dataset:
          format: idx
          source: %s
        output:
          location: %s
        """
        .formatted(source, location);
  }

  private static DistillationJob job(String spec) {
    String yaml =
        """
        apiVersion: goldpan.dev/v1alpha1
        kind: DistillationJob
        metadata:
          name: fmnist
          namespace: team-a
          generation: 1
          uid: 6a1c2f0e-4b7d-4d0e-9a51-3f2b8c9d0e11
        spec:
        """
            + spec.indent(2);
    return SERIALIZATION.unmarshal(yaml, DistillationJob.class);
  }

  private static Container worker(PodTemplateSpec template) {
    assertThat(template.getSpec().getContainers()).hasSize(1);
    return template.getSpec().getContainers().get(0);
  }

  private static List<Volume> pvcVolumes(PodTemplateSpec template) {
    return template.getSpec().getVolumes().stream()
        .filter(v -> v.getPersistentVolumeClaim() != null)
        .toList();
  }

  private static Volume volume(PodTemplateSpec template, String name) {
    return template.getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }

  /** The worker's mount of the volume that holds {@code claim}. */
  private static VolumeMount claimMount(PodTemplateSpec template, String claim) {
    String volume =
        pvcVolumes(template).stream()
            .filter(v -> v.getPersistentVolumeClaim().getClaimName().equals(claim))
            .map(Volume::getName)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no volume for claim " + claim));
    return mount(template, volume);
  }

  private static VolumeMount mount(PodTemplateSpec template, String name) {
    return worker(template).getVolumeMounts().stream()
        .filter(m -> m.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no mount " + name));
  }

  /** The operator's settings as a test wants them. */
  private record StubConfig(
      Optional<String> workerImage,
      String gpuResource,
      Optional<String> progressUrl,
      List<String> allowedImages)
      implements OperatorConfig {

    StubConfig(Optional<String> workerImage, String gpuResource, Optional<String> progressUrl) {
      this(workerImage, gpuResource, progressUrl, List.of());
    }

    @Override
    public Optional<List<String>> allowedWorkerImages() {
      return allowedImages.isEmpty() ? Optional.empty() : Optional.of(allowedImages);
    }

    /** The CUDA variant of the worker image, when there is a worker image. */
    @Override
    public Optional<String> gpuWorkerImage() {
      return workerImage.map(image -> image + "-cuda");
    }

    @Override
    public Kueue kueue() {
      return () -> false;
    }

    @Override
    public Progress progress() {
      return new StubProgress(progressUrl);
    }

    @Override
    public LeaderElection leaderElection() {
      return new StubLeaderElection();
    }
  }

  private record StubProgress(Optional<String> url) implements OperatorConfig.Progress {

    @Override
    public Duration minInterval() {
      return Duration.ofSeconds(2);
    }
  }

  private record StubLeaderElection() implements OperatorConfig.LeaderElection {

    @Override
    public boolean enabled() {
      return false;
    }

    @Override
    public String leaseName() {
      return "goldpan-operator";
    }

    @Override
    public Optional<String> leaseNamespace() {
      return Optional.empty();
    }

    @Override
    public boolean exitOnStopLeading() {
      return true;
    }
  }
}
