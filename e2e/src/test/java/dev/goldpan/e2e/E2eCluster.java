package dev.goldpan.e2e;

import static org.awaitility.Awaitility.await;

import dev.goldpan.api.crd.TestManifests;
import dev.goldpan.api.v1alpha1.DistillationJob;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The cluster the suite runs against: KUBECONFIG (e2e/kind/up), kubectl, the MinIO server of the
 * outputs, and the Kind node the tests reach containers through.
 */
final class E2eCluster {

  /** How many training and test images the e2e data set keeps: tiny settings, minutes not hours. */
  static final int TRAIN_IMAGES = 3000;

  static final int TEST_IMAGES = 1000;

  private static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  static final String OPERATOR_NAMESPACE = "goldpan-system";

  private static KubernetesClient client;

  private E2eCluster() {}

  /**
   * A ready operator pod that is not terminating: right after a rollout the replaced pod still
   * matches the labels (and a port-forward to the Service may pick it), but answers nothing.
   */
  static io.fabric8.kubernetes.api.model.Pod readyOperatorPod() {
    return client()
        .pods()
        .inNamespace(OPERATOR_NAMESPACE)
        .withLabel("app.kubernetes.io/name", "goldpan")
        .list()
        .getItems()
        .stream()
        .filter(pod -> pod.getMetadata().getDeletionTimestamp() == null)
        .filter(io.fabric8.kubernetes.client.readiness.Readiness::isPodReady)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no ready operator pod in " + OPERATOR_NAMESPACE));
  }

  static synchronized KubernetesClient client() {
    if (client == null) {
      String kubeconfig = System.getenv("KUBECONFIG");
      if (kubeconfig == null) {
        throw new IllegalStateException(
            "KUBECONFIG is not set: run e2e/kind/up and eval \"$(e2e/kind/env)\"");
      }
      try {
        client =
            new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(Files.readString(Path.of(kubeconfig))))
                .build();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return client;
  }

  static Path repository() {
    return TestManifests.repositoryRoot();
  }

  /**
   * The Kind node container the pods run in (GOLDPAN_KIND_NODE, set by e2e/kind/env): the tests
   * reach containers from outside through it, with crictl, as an operator would on a node.
   */
  static String kindNode() {
    return env("GOLDPAN_KIND_NODE");
  }

  /** The chart's default worker image (CPU): the one e2e/images/build makes and loads. */
  static String chartWorkerImage() {
    try {
      return TestManifests.YAML
          .readTree(repository().resolve("charts/goldpan/values.yaml").toFile())
          .path("workerImage")
          .asText();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static S3Client s3() {
    return S3Client.builder()
        .endpointOverride(URI.create(env("GOLDPAN_MINIO_ENDPOINT")))
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create(
                    env("GOLDPAN_MINIO_ACCESS_KEY"), env("GOLDPAN_MINIO_SECRET_KEY"))))
        .build();
  }

  /** What a command printed and how it ended. */
  record Result(int exitCode, String output) {}

  /** Runs kubectl (on PATH, e.g. ~/.cache/goldpan/bin) with {@code stdin}. */
  static Result kubectl(String stdin, String... args) {
    List<String> command = new ArrayList<>();
    command.add("kubectl");
    command.addAll(List.of(args));
    return run(stdin, command);
  }

  static Result run(String stdin, List<String> command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      try (OutputStream in = process.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (InputStream stream = process.getInputStream()) {
        stream.transferTo(out);
      }
      if (!process.waitFor(20, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not end");
      }
      return new Result(process.exitValue(), out.toString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * A namespace ready for examples/ (pod-security "restricted", the fashion-mnist PVC on the e2e
   * subset, and the goldpan-s3 Secret), made by e2e/kind/namespace so that the suite and the demo
   * share one definition.
   */
  static void prepareNamespace(String namespace) {
    Result result =
        run(
            null,
            List.of(
                repository().resolve("e2e/kind/namespace").toString(),
                namespace,
                subset().toString()));
    if (result.exitCode() != 0) {
      throw new IllegalStateException("e2e/kind/namespace failed:\n" + result.output());
    }
  }

  /** The pods of a stage Job ({@code <job>-<stage>}), by the label the Job controller sets. */
  static List<Pod> stagePods(String namespace, String job) {
    return client().pods().inNamespace(namespace).withLabel("job-name", job).list().getItems();
  }

  /** A DistillationJob of {@code namespace} as the API server has it now. */
  static DistillationJob job(String namespace, String name) {
    return client().resources(DistillationJob.class).inNamespace(namespace).withName(name).get();
  }

  /** Waits until {@code namespace/name} has a condition of {@code type} True. */
  static DistillationJob awaitCondition(
      String namespace, String name, String type, Duration atMost) {
    return await()
        .atMost(atMost)
        .pollInterval(Duration.ofSeconds(2))
        .until(
            () -> job(namespace, name),
            job ->
                job != null
                    && job.getStatus() != null
                    && job.getStatus().getConditions() != null
                    && job.getStatus().getConditions().stream()
                        .anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus())));
  }

  /**
   * Kills a running container of {@code pod} from outside it, as a crash or the OOM killer would:
   * SIGKILL to its process, found with crictl in the Kind node. (PID 1 of a container ignores a
   * SIGKILL sent from inside it.)
   */
  static void killContainer(Pod pod, String container) {
    String script =
        "id=$(crictl ps -q --state running --name '^"
            + container
            + "$' --label io.kubernetes.pod.uid="
            + pod.getMetadata().getUid()
            + ") && [ -n \"$id\" ] && pid=$(crictl inspect --output go-template --template"
            + " '{{.info.pid}}' $id) && kill -9 $pid && echo killed $id pid $pid";
    Result result = run(null, List.of("docker", "exec", kindNode(), "sh", "-c", script));
    if (result.exitCode() != 0) {
      throw new IllegalStateException(
          "cannot kill "
              + container
              + " of "
              + pod.getMetadata().getName()
              + ": "
              + result.output());
    }
  }

  /**
   * The first {@value #TRAIN_IMAGES} training and {@value #TEST_IMAGES} test images of Debian's
   * Fashion-MNIST, as gzipped IDX files in ~/.cache/goldpan/e2e-data (made once).
   */
  static synchronized Path subset() {
    // Under the harness's cache, which e2e/kind/cluster.yaml mounts into the Kind node.
    String cache = System.getenv("GOLDPAN_CACHE");
    Path directory =
        (cache != null
                ? Path.of(cache)
                : Path.of(System.getProperty("user.home"), ".cache/goldpan"))
            .resolve("e2e-data/fashion-mnist-" + TRAIN_IMAGES);
    try {
      if (Files.exists(directory.resolve("t10k-labels-idx1-ubyte.gz"))) {
        return directory;
      }
      Files.createDirectories(directory);
      copyIdx("train-images-idx3-ubyte.gz", directory, TRAIN_IMAGES);
      copyIdx("train-labels-idx1-ubyte.gz", directory, TRAIN_IMAGES);
      copyIdx("t10k-images-idx3-ubyte.gz", directory, TEST_IMAGES);
      copyIdx("t10k-labels-idx1-ubyte.gz", directory, TEST_IMAGES);
      return directory;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first {@code count} items of an IDX file: same header, smaller first dimension. */
  private static void copyIdx(String file, Path directory, int count) throws IOException {
    Path target = directory.resolve(file);
    Path partial = directory.resolve(file + ".partial");
    try (DataInputStream in =
            new DataInputStream(
                new GZIPInputStream(Files.newInputStream(FASHION_MNIST.resolve(file))));
        DataOutputStream out =
            new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(partial)))) {
      int magic = in.readInt();
      int dimensions = magic & 0xff;
      int items = in.readInt();
      if (items < count) {
        throw new IOException(file + " has only " + items + " items");
      }
      out.writeInt(magic);
      out.writeInt(count);
      long itemSize = 1;
      for (int d = 1; d < dimensions; d++) {
        int size = in.readInt();
        out.writeInt(size);
        itemSize *= size;
      }
      byte[] data = new byte[(int) (itemSize * count)];
      in.readFully(data);
      out.write(data);
    }
    Files.move(partial, target);
  }

  private static String env(String name) {
    String value = System.getenv(name);
    if (value == null) {
      throw new IllegalStateException(name + " is not set: eval \"$(e2e/kind/env)\"");
    }
    return value;
  }
}
