package dev.goldpan.operator.dependent;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.DistillationJobSpec;
import dev.goldpan.api.v1alpha1.ResourcesSpec;
import dev.goldpan.api.v1alpha1.WorkerPodTemplate;
import dev.goldpan.operator.Labels;
import dev.goldpan.operator.OperatorConfig;
import dev.goldpan.operator.Stage;
import dev.goldpan.operator.progress.ProgressAuthenticator;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The pod a stage Job runs: the worker's command, the task, the data and output volumes, the S3
 * secrets and the progress token, as the worker expects them (see the worker's CLI).
 *
 * <p>The progress token is the pod's own service-account token, projected by the kubelet for the
 * audience {@value ProgressAuthenticator#AUDIENCE} only: it names the pod, the operator checks it
 * with a TokenReview, and it is good for nothing else (the pod mounts no API token).
 */
public final class WorkerPods {

  /** The worker container's name; the Job's podFailurePolicy refers to it. */
  public static final String CONTAINER = "worker";

  /** Exit code of the worker for invalid input: the Job fails at once, without retries. */
  public static final int INVALID_INPUT_EXIT_CODE = 2;

  static final String TASK_DIRECTORY = "/etc/goldpan/task";
  static final String TASK_FILE = TASK_DIRECTORY + "/" + TaskConfigMapDependentResource.TASK_KEY;
  static final String VOLUME_ROOT = "/mnt/goldpan";
  static final String SECRETS = "/var/run/secrets/goldpan";
  static final String PROGRESS_TOKEN_FILE = SECRETS + "/progress/token";

  /**
   * Lifetime the worker's progress token is issued for; the kubelet renews it after 80 % of that,
   * and the worker reads the file anew for every report.
   */
  static final long PROGRESS_TOKEN_SECONDS = 3600L;

  /** Non-root user the worker runs as when the image does not say. */
  static final long WORKER_UID = 65532L;

  private WorkerPods() {}

  /** The pod template of {@code stage}'s Job. */
  public static PodTemplateSpec template(DistillationJob job, Stage stage, OperatorConfig config) {
    DistillationJobSpec spec = job.getSpec();
    List<Volume> volumes = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    mount(
        volumes, mounts, "tmp", "/tmp", false, new VolumeBuilder().withNewEmptyDir().endEmptyDir());
    mount(
        volumes,
        mounts,
        "task",
        TASK_DIRECTORY,
        true,
        new VolumeBuilder()
            .withNewConfigMap()
            .withName(TaskConfigMapDependentResource.name(job))
            .endConfigMap());
    mount(
        volumes,
        mounts,
        "progress-token",
        SECRETS + "/progress",
        true,
        new VolumeBuilder()
            .withNewProjected()
            .addNewSource()
            .withNewServiceAccountToken()
            .withAudience(ProgressAuthenticator.AUDIENCE)
            .withExpirationSeconds(PROGRESS_TOKEN_SECONDS)
            .withPath("token")
            .endServiceAccountToken()
            .endSource()
            .endProjected());
    int claimNumber = 0;
    for (Map.Entry<String, Boolean> claim : claims(spec).entrySet()) {
      // Volume names are DNS labels; claim names may be longer and hold dots.
      mount(
          volumes,
          mounts,
          "claim-" + claimNumber++,
          VOLUME_ROOT + "/" + claim.getKey(),
          claim.getValue(),
          new VolumeBuilder()
              .withNewPersistentVolumeClaim()
              .withClaimName(claim.getKey())
              .withReadOnly(claim.getValue())
              .endPersistentVolumeClaim());
    }
    if (spec.getOutput().getCredentialsSecret() != null) {
      mount(
          volumes,
          mounts,
          "output-s3",
          SECRETS + "/s3",
          true,
          new VolumeBuilder()
              .withNewSecret()
              .withSecretName(spec.getOutput().getCredentialsSecret())
              .endSecret());
    }
    if (spec.getDataset().getCredentialsSecret() != null) {
      mount(
          volumes,
          mounts,
          "dataset-s3",
          SECRETS + "/dataset-s3",
          true,
          new VolumeBuilder()
              .withNewSecret()
              .withSecretName(spec.getDataset().getCredentialsSecret())
              .endSecret());
    }

    WorkerPodTemplate podTemplate =
        spec.getPodTemplate() != null ? spec.getPodTemplate() : new WorkerPodTemplate();
    Map<String, String> labels = new LinkedHashMap<>();
    if (podTemplate.getLabels() != null) {
      labels.putAll(podTemplate.getLabels());
    }
    labels.putAll(Labels.stage(job, stage));
    labels.put(Labels.JOB_UID, job.getMetadata().getUid());

    return new PodTemplateSpecBuilder()
        .withNewMetadata()
        .withLabels(labels)
        .withAnnotations(podTemplate.getAnnotations())
        .endMetadata()
        .withSpec(
            new PodSpecBuilder()
                .withRestartPolicy("Never")
                .withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false)
                .withNodeSelector(podTemplate.getNodeSelector())
                .withTolerations(podTemplate.getTolerations())
                .withAffinity(podTemplate.getAffinity())
                .withPriorityClassName(podTemplate.getPriorityClassName())
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(WORKER_UID)
                .withRunAsGroup(WORKER_UID)
                .withFsGroup(WORKER_UID)
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .endSecurityContext()
                .withVolumes(volumes)
                .withContainers(
                    new ContainerBuilder()
                        .withName(CONTAINER)
                        .withImage(image(job, config))
                        .withCommand("goldpan-worker")
                        .withArgs("stage", stage.id(), "--task", TASK_FILE)
                        .withEnv(environment(job, config))
                        .withVolumeMounts(mounts)
                        .withTerminationMessagePolicy("FallbackToLogsOnError")
                        .withNewResources()
                        .withRequests(requests(spec.getResources()))
                        .withLimits(limits(spec.getResources(), config))
                        .endResources()
                        .withNewSecurityContext()
                        .withReadOnlyRootFilesystem(true)
                        .withAllowPrivilegeEscalation(false)
                        .withNewCapabilities()
                        .withDrop("ALL")
                        .endCapabilities()
                        .endSecurityContext()
                        .build())
                .build())
        .build();
  }

  /**
   * spec.worker.image, else the operator's GPU worker image for a job that asks for GPUs, else its
   * worker image; null when none is set.
   */
  public static String image(DistillationJob job, OperatorConfig config) {
    if (job.getSpec().getWorker() != null && job.getSpec().getWorker().getImage() != null) {
      return job.getSpec().getWorker().getImage();
    }
    if (asksForGpus(job.getSpec().getResources()) && config.gpuWorkerImage().isPresent()) {
      return config.gpuWorkerImage().get();
    }
    return config.workerImage().orElse(null);
  }

  /**
   * Why {@code job}'s spec.worker.image may not run, when the operator has an allow-list
   * (goldpan.operator.allowed-worker-images) and the image matches none of its prefixes.
   */
  public static Optional<String> imageRefusal(DistillationJob job, OperatorConfig config) {
    List<String> allowed = config.allowedWorkerImages().orElse(List.of());
    if (allowed.isEmpty()
        || job.getSpec().getWorker() == null
        || job.getSpec().getWorker().getImage() == null) {
      return Optional.empty();
    }
    String image = job.getSpec().getWorker().getImage();
    if (allowed.stream().anyMatch(prefix -> !prefix.isBlank() && image.startsWith(prefix))) {
      return Optional.empty();
    }
    return Optional.of(
        "spec.worker.image "
            + image
            + " is not allowed here; allowed are images starting with "
            + String.join(", ", allowed)
            + " (Helm value allowedWorkerImages)");
  }

  /**
   * The claims named by pvc:// locations, each mounted once: read-only unless the output is on it.
   */
  static Map<String, Boolean> claims(DistillationJobSpec spec) {
    Map<String, Boolean> claims = new LinkedHashMap<>();
    Set<String> readOnly = new LinkedHashSet<>();
    addClaim(readOnly, spec.getDataset().getSource());
    addClaim(readOnly, spec.getSelection().getStaticSelection().getScoresSource());
    readOnly.forEach(claim -> claims.put(claim, true));
    String output = claim(spec.getOutput().getLocation());
    if (output != null) {
      claims.put(output, false);
    }
    return claims;
  }

  private static void addClaim(Set<String> claims, String location) {
    String claim = claim(location);
    if (claim != null) {
      claims.add(claim);
    }
  }

  /** The claim of {@code pvc://<claim>/<path>}, or null for other locations. */
  static String claim(String location) {
    if (location == null || !location.startsWith("pvc://")) {
      return null;
    }
    String rest = location.substring("pvc://".length());
    int slash = rest.indexOf('/');
    return slash < 0 ? rest : rest.substring(0, slash);
  }

  private static List<EnvVar> environment(DistillationJob job, OperatorConfig config) {
    List<EnvVar> env = new ArrayList<>();
    env.add(new EnvVar("HOME", "/tmp", null));
    env.add(new EnvVar("GOLDPAN_PROGRESS_TOKEN_FILE", PROGRESS_TOKEN_FILE, null));
    // libtorch starts one intra-op thread per core of the node, whatever the pod asked for; on a
    // node shared with other pods its threads then spin-wait for each other (in a container with
    // --cpus=1 on 2 cores, DM ran 0.23 iterations/s with 2 threads and 1.33 with 1).
    threads(job.getSpec().getResources())
        .ifPresent(n -> env.add(new EnvVar("OMP_NUM_THREADS", Integer.toString(n), null)));
    config
        .progress()
        .url()
        .ifPresent(
            url ->
                env.add(
                    new EnvVar(
                        "GOLDPAN_PROGRESS_URL",
                        trimSlash(url)
                            + "/progress/"
                            + job.getMetadata().getNamespace()
                            + "/"
                            + job.getMetadata().getName(),
                        null)));
    return env;
  }

  /** Intra-op threads for spec.resources.cpu: the CPUs asked for, rounded up; none when unset. */
  static java.util.Optional<Integer> threads(ResourcesSpec resources) {
    if (resources == null || resources.getCpu() == null) {
      return java.util.Optional.empty();
    }
    java.math.BigDecimal cpus = Quantity.getAmountInBytes(new Quantity(resources.getCpu()));
    return java.util.Optional.of(
        Math.max(1, cpus.setScale(0, java.math.RoundingMode.CEILING).intValueExact()));
  }

  private static String trimSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static Map<String, Quantity> requests(ResourcesSpec resources) {
    Map<String, Quantity> requests = new LinkedHashMap<>();
    if (resources.getCpu() != null) {
      requests.put("cpu", new Quantity(resources.getCpu()));
    }
    if (resources.getMemory() != null) {
      requests.put("memory", new Quantity(resources.getMemory()));
    }
    return requests;
  }

  private static Map<String, Quantity> limits(ResourcesSpec resources, OperatorConfig config) {
    Map<String, Quantity> limits = new LinkedHashMap<>();
    if (resources.getMemory() != null) {
      limits.put("memory", new Quantity(resources.getMemory()));
    }
    if (asksForGpus(resources)) {
      limits.put(gpuResource(resources, config), new Quantity(resources.getGpus().toString()));
    }
    return limits;
  }

  private static boolean asksForGpus(ResourcesSpec resources) {
    return resources != null && resources.getGpus() != null && resources.getGpus() > 0;
  }

  /**
   * spec.resources.gpuResource when the user changed it from the schema default, else the
   * operator's (cluster-wide) GPU resource name.
   */
  static String gpuResource(ResourcesSpec resources, OperatorConfig config) {
    String requested = resources.getGpuResource();
    boolean schemaDefault =
        requested == null || requested.equals(new ResourcesSpec().getGpuResource());
    return schemaDefault ? config.gpuResource() : requested;
  }

  private static void mount(
      List<Volume> volumes,
      List<VolumeMount> mounts,
      String name,
      String path,
      boolean readOnly,
      VolumeBuilder volume) {
    volumes.add(volume.withName(name).build());
    mounts.add(
        new VolumeMountBuilder().withName(name).withMountPath(path).withReadOnly(readOnly).build());
  }
}
