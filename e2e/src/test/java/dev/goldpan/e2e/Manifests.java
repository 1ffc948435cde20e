package dev.goldpan.e2e;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.goldpan.api.crd.TestManifests;
import java.io.UncheckedIOException;

/** examples/fashion-mnist-dm.yaml with edits, as YAML for kubectl. */
final class Manifests {

  private Manifests() {}

  /**
   * The example, renamed to {@code name} and writing to its own prefix of the goldpan bucket, with
   * {@code edits} as pairs of dotted path and YAML value.
   */
  static String example(String namespace, String name, String... edits) {
    JsonNode manifest = TestManifests.readExample("fashion-mnist-dm.yaml");
    manifest = TestManifests.with(manifest, "metadata.name", name);
    manifest = TestManifests.with(manifest, "metadata.namespace", namespace);
    manifest =
        TestManifests.with(
            manifest, "spec.output.location", "s3://goldpan/" + namespace + "/" + name);
    for (int i = 0; i + 1 < edits.length; i += 2) {
      manifest = TestManifests.with(manifest, edits[i], edits[i + 1]);
    }
    return yaml(manifest);
  }

  static String yaml(JsonNode manifest) {
    try {
      return TestManifests.YAML.writeValueAsString(manifest);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
