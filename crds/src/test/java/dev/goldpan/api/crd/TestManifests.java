package dev.goldpan.api.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Paths of the generated CRD, the examples and the chart, and small manifest edits. */
final class TestManifests {

  static final String CRD_FILE = "distillationjobs.goldpan.dev-v1.yml";

  private TestManifests() {}

  static Path repositoryRoot() {
    return Path.of(System.getProperty("goldpan.repository", "..")).toAbsolutePath().normalize();
  }

  static Path example(String name) {
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

  static JsonNode readExample(String name) {
    try {
      return CrdValidator.read(example(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A copy of {@code manifest} with the dotted {@code path} set to {@code yamlValue} (parsed as
   * YAML), or removed when {@code yamlValue} is null. Missing parents are created.
   */
  static JsonNode with(JsonNode manifest, String path, String yamlValue) {
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
        parent.set(last, CrdValidator.YAML.readTree(yamlValue));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return copy;
  }
}
