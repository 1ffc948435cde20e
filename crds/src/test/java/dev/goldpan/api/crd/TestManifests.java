package dev.goldpan.api.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;

/**
 * Paths of the generated CRD, the examples and the chart, small manifest edits, and the invalid
 * specs every validator must refuse (this schema test's and, from the test jar, the e2e suite's
 * against a real API server).
 */
public final class TestManifests {

  static final String CRD_FILE = "distillationjobs.goldpan.dev-v1.yml";

  /** YAML (and JSON) reader and writer for manifests. */
  public static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /**
   * An edit that makes the example invalid: set {@code path} to {@code value}; {@code field} is
   * named in the error.
   */
  public record InvalidSpec(String path, String value, String field) {}

  private TestManifests() {}

  /** Edits of examples/fashion-mnist-dm.yaml that validation must refuse, naming the field. */
  public static List<InvalidSpec> invalidSpecs() {
    return List.of(
        new InvalidSpec("spec.dataset.format", "tfrecord", "format"),
        new InvalidSpec("spec.dataset.source", "http://example.org/data", "source"),
        new InvalidSpec("spec.dataset.source", "s3://bucket/fashion", "credentialsSecret"),
        new InvalidSpec("spec.dataset.normalization", "{mean: [0.5], std: [0.2, 0.3]}", "std"),
        new InvalidSpec("spec.dataset.normalization", "{mean: [0.5], std: [0.0]}", "std"),
        new InvalidSpec("spec.dataset", null, "dataset"),
        new InvalidSpec("spec.model.width", "0", "width"),
        new InvalidSpec("spec.model.depth", "9", "depth"),
        new InvalidSpec("spec.model.architecture", "resnet", "architecture"),
        new InvalidSpec("spec.selection.static.keepRatio", "0", "keepRatio"),
        new InvalidSpec("spec.selection.static.keepRatio", "1.5", "keepRatio"),
        new InvalidSpec("spec.selection.static.criterion", "forgetting", "criterion"),
        new InvalidSpec("spec.selection.static.criterion", "precomputed", "scoresSource"),
        new InvalidSpec("spec.selection.static.drop", "both", "drop"),
        new InvalidSpec("spec.selection.static.scoring.initEpochs", "5", "initEpochs"),
        new InvalidSpec("spec.selection.static.scoring.ensemble", "0", "ensemble"),
        new InvalidSpec("spec.selection.causal.keepRatio", "-0.1", "keepRatio"),
        new InvalidSpec("spec.selection.causal.refreshInterval", "0", "refreshInterval"),
        new InvalidSpec("spec.selection.causal.keep", "least-contributing", "keep"),
        new InvalidSpec("spec.distillation.algorithm", "mtt", "algorithm"),
        new InvalidSpec("spec.distillation.imagesPerClass", "0", "imagesPerClass"),
        new InvalidSpec("spec.distillation.iterations", "0", "iterations"),
        new InvalidSpec("spec.distillation.learningRate", "0", "learningRate"),
        new InvalidSpec("spec.distillation.parallelism", "0", "parallelism"),
        new InvalidSpec("spec.distillation.augmentation", "mixup", "augmentation"),
        new InvalidSpec("spec.evaluation.models", "0", "models"),
        new InvalidSpec("spec.evaluation.parallelism", "0", "parallelism"),
        new InvalidSpec("spec.evaluation.parallelism", "3", "parallelism must not exceed models"),
        new InvalidSpec("spec.evaluation.baselines", "[full-data]", "baselines"),
        new InvalidSpec("spec.output", null, "output"),
        new InvalidSpec("spec.output.credentialsSecret", null, "credentialsSecret"),
        new InvalidSpec("spec.output.location", "/tmp/out", "location"),
        new InvalidSpec("spec.resources.gpus", "-1", "gpus"),
        new InvalidSpec("spec.resources.memory", "lots", "memory"),
        new InvalidSpec("spec.backoffLimit", "-1", "backoffLimit"),
        new InvalidSpec("spec.seed", "-5", "seed"),
        new InvalidSpec("spec.distilation", "{iterations: 10}", "distilation"));
  }

  public static Path repositoryRoot() {
    return Path.of(System.getProperty("goldpan.repository", "..")).toAbsolutePath().normalize();
  }

  public static Path example(String name) {
    return repositoryRoot().resolve("examples").resolve(name);
  }

  static Path chartCrd() {
    return repositoryRoot().resolve("charts/goldpan/crds").resolve(CRD_FILE);
  }

  /** The CRD that the build generated into target/classes. */
  static Path generatedCrd() {
    URL url = TestManifests.class.getResource("/META-INF/fabric8/" + CRD_FILE);
    if (url == null) {
      throw new IllegalStateException(CRD_FILE + " was not generated; run mvn process-classes");
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public static JsonNode readExample(String name) {
    try {
      return YAML.readTree(example(name).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A copy of {@code manifest} with the dotted {@code path} set to {@code yamlValue} (parsed as
   * YAML), or removed when {@code yamlValue} is null. Missing parents are created.
   */
  public static JsonNode with(JsonNode manifest, String path, String yamlValue) {
    JsonNode copy = manifest.deepCopy();
    String[] keys = path.split("\\.");
    ObjectNode parent = (ObjectNode) copy;
    for (int i = 0; i < keys.length - 1; i++) {
      parent = parent.has(keys[i]) ? (ObjectNode) parent.get(keys[i]) : parent.putObject(keys[i]);
    }
    String last = keys[keys.length - 1];
    if (yamlValue == null) {
      parent.remove(last);
    } else {
      try {
        parent.set(last, YAML.readTree(yamlValue));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return copy;
  }
}
