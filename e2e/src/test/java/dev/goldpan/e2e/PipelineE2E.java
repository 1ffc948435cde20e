package dev.goldpan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.goldpan.api.crd.TestManifests;
import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.Phase;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** A DistillationJob from examples/ on a real control plane, and what the API server refuses. */
@ExtendWith(E2eNamespace.class)
class PipelineE2E {

  @Test
  void theExampleSucceedsWithAccuracyColumnsAndArtifacts(String namespace) throws IOException {
    String prefix = "fashion-mnist-dm/";
    try (S3Client s3 = E2eCluster.s3()) {
      // The example writes to a fixed location; start from an empty one.
      s3.listObjectsV2Paginator(r -> r.bucket("goldpan").prefix(prefix))
          .contents()
          .forEach(o -> s3.deleteObject(r -> r.bucket("goldpan").key(o.key())));
    }
    var applied =
        E2eCluster.kubectl(
            null,
            "apply",
            "-n",
            namespace,
            "-f",
            E2eCluster.repository().resolve("examples/fashion-mnist-dm.yaml").toString());
    assertThat(applied.exitCode()).as(applied.output()).isZero();

    var waited =
        E2eCluster.kubectl(
            null,
            "wait",
            "--for=condition=Succeeded",
            "dj/fashion-mnist-dm",
            "-n",
            namespace,
            "--timeout=900s");
    assertThat(waited.exitCode()).as(waited.output()).isZero();

    DistillationJob job = E2eCluster.job(namespace, "fashion-mnist-dm");
    // Fashion-MNIST's 10 classes times the example's images per class.
    int syntheticImages =
        10
            * TestManifests.readExample("fashion-mnist-dm.yaml")
                .at("/spec/distillation/imagesPerClass")
                .asInt();
    assertThat(syntheticImages).isPositive();
    assertThat(job.getStatus().getPhase()).isEqualTo(Phase.SUCCEEDED);
    assertThat(job.getStatus().getResult().getAccuracy().getMean()).isBetween(0.3, 1.0);
    assertThat(job.getStatus().getResult().getAccuracy().getModels()).isEqualTo(2);
    assertThat(job.getStatus().getResult().getSyntheticImages()).isEqualTo(syntheticImages);
    assertThat(job.getStatus().getResult().getRealSamplesKept())
        .isBetween(1000L, (long) E2eCluster.TRAIN_IMAGES);
    assertThat(job.getStatus().getResult().getOutputLocation())
        .isEqualTo("s3://goldpan/fashion-mnist-dm");
    assertThat(job.getStatus().getProgress())
        .as("workers reported progress through the operator's endpoint")
        .isNotNull();
    assertThat(job.getStatus().getProgress().getPercent()).isBetween(1, 100);

    String table = E2eCluster.kubectl(null, "get", "dj", "-n", namespace).output();
    String[] lines = table.strip().split("\n");
    assertThat(lines[0].split("\\s+"))
        .containsExactly(
            "NAME", "PHASE", "STAGE", "REASON", "PROGRESS", "ACCURACY", "OUTPUT", "AGE");
    // A succeeded job has no REASON: its cell is blank.
    assertThat(lines[1].split("\\s+"))
        .hasSize(7)
        .satisfies(
            row -> {
              assertThat(row[0]).isEqualTo("fashion-mnist-dm");
              assertThat(row[1]).isEqualTo("Succeeded");
              assertThat(row[2]).isEqualTo("evaluate");
              assertThat(Integer.parseInt(row[3])).isBetween(1, 100);
              assertThat(Double.parseDouble(row[4]))
                  .isEqualTo(job.getStatus().getResult().getAccuracy().getMean());
              assertThat(row[5]).isEqualTo("s3://goldpan/fashion-mnist-dm");
            });

    List<Job> jobs =
        E2eCluster.client().batch().v1().jobs().inNamespace(namespace).list().getItems();
    assertThat(jobs)
        .extracting(j -> j.getMetadata().getName())
        .containsExactlyInAnyOrder(
            "fashion-mnist-dm-score", "fashion-mnist-dm-distill", "fashion-mnist-dm-evaluate");

    try (S3Client s3 = E2eCluster.s3()) {
      List<String> keys =
          s3.listObjectsV2Paginator(r -> r.bucket("goldpan").prefix(prefix)).contents().stream()
              .map(S3Object::key)
              .toList();
      assertThat(keys)
          .contains(
              prefix + "scores.npy",
              prefix + "selection.json",
              prefix + "synthetic.npz",
              prefix + "synthetic.png",
              prefix + "evaluation.json",
              prefix + "report.html",
              prefix + "manifest.json");
      byte[] synthetic =
          s3.getObjectAsBytes(r -> r.bucket("goldpan").key(prefix + "synthetic.npz")).asByteArray();
      assertThat(npyHeaders(synthetic))
          .anySatisfy(
              h ->
                  assertThat(h)
                      .startsWith("images.npy")
                      .contains("'shape': (" + syntheticImages + ", 1, 28, 28)"))
          .anySatisfy(
              h ->
                  assertThat(h)
                      .startsWith("labels.npy")
                      .contains("'shape': (" + syntheticImages + ",)"));
      JsonNode evaluation =
          TestManifests.YAML.readTree(
              s3.getObjectAsBytes(r -> r.bucket("goldpan").key(prefix + "evaluation.json"))
                  .asByteArray());
      assertThat(evaluation.findValue("random-real")).as(evaluation.toString()).isNotNull();
    }
  }

  @Test
  void theOperatorRunsAsAPodWithItsChartsServiceAccountAndRbac(String namespace) {
    List<Pod> pods =
        E2eCluster.client()
            .pods()
            .inNamespace(E2eCluster.OPERATOR_NAMESPACE)
            .withLabel("app.kubernetes.io/name", "goldpan")
            .list()
            .getItems();
    assertThat(pods).isNotEmpty();
    assertThat(pods)
        .anySatisfy(
            pod -> {
              assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
              assertThat(pod.getSpec().getServiceAccountName()).isEqualTo("goldpan");
            });
    String serviceAccount = "system:serviceaccount:" + E2eCluster.OPERATOR_NAMESPACE + ":goldpan";
    for (String allowed :
        List.of(
            "create jobs.batch", "patch distillationjobs.goldpan.dev status", "create events")) {
      assertThat(canI(namespace, serviceAccount, allowed)).as(allowed).isEqualTo("yes");
    }
    for (String refused :
        List.of(
            "delete pods",
            "get nodes",
            "update distillationjobs.goldpan.dev",
            "patch distillationjobs.goldpan.dev",
            "create deployments.apps")) {
      assertThat(canI(namespace, serviceAccount, refused)).as(refused).isEqualTo("no");
    }
  }

  /** kubectl auth can-i "VERB RESOURCE [SUBRESOURCE]" as {@code user}: yes or no. */
  private static String canI(String namespace, String user, String request) {
    String[] parts = request.split(" ");
    List<String> args =
        new java.util.ArrayList<>(
            List.of("auth", "can-i", parts[0], parts[1], "-n", namespace, "--as", user));
    if (parts.length > 2) {
      args.add("--subresource=" + parts[2]);
    }
    String[] lines =
        E2eCluster.kubectl(null, args.toArray(String[]::new)).output().trim().split("\n");
    // The answer is the last line; warnings (e.g. "not namespace scoped") come before it.
    return lines[lines.length - 1].trim();
  }

  @Test
  void aMissingDatasetPathFailsTheJobNamingThePathWithoutRetries(String namespace) {
    String manifest =
        Manifests.example(
            namespace, "lost", "spec.dataset.source", "pvc://fashion-mnist/no-such-dir/");
    var applied = E2eCluster.kubectl(manifest, "apply", "-f", "-");
    assertThat(applied.exitCode()).as(applied.output()).isZero();

    DistillationJob failed =
        E2eCluster.awaitCondition(namespace, "lost", "Failed", Duration.ofMinutes(5));
    var condition =
        failed.getStatus().getConditions().stream()
            .filter(c -> c.getType().equals("Failed"))
            .findFirst()
            .orElseThrow();
    assertThat(condition.getReason()).isEqualTo("InvalidInput");
    assertThat(condition.getMessage()).contains("no-such-dir");
    assertThat(failed.getStatus().getStages().getScore().getAttempts()).isEqualTo(1);
    Job score =
        E2eCluster.client().batch().v1().jobs().inNamespace(namespace).withName("lost-score").get();
    assertThat(score.getStatus().getFailed()).isEqualTo(1);
    assertThat(
            E2eCluster.client()
                .batch()
                .v1()
                .jobs()
                .inNamespace(namespace)
                .withName("lost-distill")
                .get())
        .isNull();
  }

  @Test
  void theApiServerRefusesInvalidManifestsNamingTheField(String namespace) {
    JsonNode valid = TestManifests.readExample("fashion-mnist-dm.yaml");
    valid = TestManifests.with(valid, "metadata.namespace", namespace);
    int index = 0;
    for (TestManifests.InvalidSpec invalid : TestManifests.invalidSpecs()) {
      JsonNode manifest =
          TestManifests.with(
              TestManifests.with(valid, "metadata.name", "invalid-" + index++),
              invalid.path(),
              invalid.value());
      var result =
          E2eCluster.kubectl(Manifests.yaml(manifest), "apply", "--validate=strict", "-f", "-");
      assertThat(result.exitCode()).as(invalid + ": " + result.output()).isNotZero();
      assertThat(result.output()).as(invalid.toString()).contains(invalid.field());
    }
    assertThat(
            E2eCluster.client()
                .resources(DistillationJob.class)
                .inNamespace(namespace)
                .list()
                .getItems())
        .as("nothing was created")
        .isEmpty();

    // The spec is immutable except suspend.
    JsonNode suspended =
        TestManifests.with(
            TestManifests.with(valid, "metadata.name", "frozen"), "spec.suspend", "true");
    assertThat(E2eCluster.kubectl(Manifests.yaml(suspended), "apply", "-f", "-").exitCode())
        .isZero();
    var changed =
        E2eCluster.kubectl(
            Manifests.yaml(TestManifests.with(suspended, "spec.distillation.iterations", "999")),
            "apply",
            "-f",
            "-");
    assertThat(changed.exitCode()).isNotZero();
    assertThat(changed.output()).contains("spec.distillation").contains("immutable");
  }

  /** The .npy headers inside an .npz archive, each prefixed with its entry name. */
  private static List<String> npyHeaders(byte[] npz) throws IOException {
    List<String> headers = new java.util.ArrayList<>();
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(npz))) {
      ZipEntry entry;
      while ((entry = zip.getNextEntry()) != null) {
        byte[] start = zip.readNBytes(256);
        int length = (start[8] & 0xff) | (start[9] & 0xff) << 8;
        headers.add(
            entry.getName()
                + " "
                + new String(
                    start,
                    10,
                    Math.min(length, start.length - 10),
                    java.nio.charset.StandardCharsets.ISO_8859_1));
      }
    }
    return headers;
  }
}
