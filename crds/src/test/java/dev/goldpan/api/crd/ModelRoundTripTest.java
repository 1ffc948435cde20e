package dev.goldpan.api.crd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NumericNode;
import dev.goldpan.api.v1alpha1.Algorithm;
import dev.goldpan.api.v1alpha1.CausalKeep;
import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.DistillationJobSpec;
import dev.goldpan.api.v1alpha1.StaticCriterion;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelRoundTripTest {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /** Numbers compare by value: {@code 1} in YAML and {@code 1.0} from a Double are the same. */
  private static final Comparator<JsonNode> BY_VALUE =
      (a, b) -> {
        if (a instanceof NumericNode && b instanceof NumericNode) {
          return Double.compare(a.doubleValue(), b.doubleValue());
        }
        return a.equals(b) ? 0 : 1;
      };

  private static CrdValidator validator;

  @BeforeAll
  static void load() throws IOException {
    validator = new CrdValidator(TestManifests.generatedCrd());
  }

  private static JsonNode roundTrip(Path manifest) throws IOException {
    DistillationJob job =
        SERIALIZATION.unmarshal(Files.readString(manifest), DistillationJob.class);
    return CrdValidator.YAML.readTree(SERIALIZATION.asYaml(job));
  }

  @ParameterizedTest
  @ValueSource(strings = {"fashion-mnist-dm.yaml", "fashion-mnist-bilp.yaml"})
  void examplesKeepEveryFieldAndTheSchemaDefaults(String example) throws IOException {
    Path manifest = TestManifests.example(example);
    JsonNode asStored = validator.withDefaults(CrdValidator.read(manifest));

    JsonNode roundTripped = roundTrip(manifest);

    assertThat(roundTripped.path("spec").equals(BY_VALUE, asStored.path("spec")))
        .as(
            "spec after YAML -> model -> YAML:%n%s%nexpected:%n%s",
            roundTripped.path("spec"), asStored.path("spec"))
        .isTrue();
    assertThat(roundTripped.path("metadata").path("name")).isEqualTo(asStored.at("/metadata/name"));
  }

  @Test
  void everyFieldSurvives() throws IOException {
    Path manifest = Path.of("src/test/resources/full-spec.yaml");
    JsonNode original = CrdValidator.read(manifest);

    JsonNode roundTripped = roundTrip(manifest);

    assertThat(validator.validateCreate(original)).isEmpty();
    assertThat(roundTripped.path("spec").equals(BY_VALUE, original.path("spec")))
        .as("spec after YAML -> model -> YAML:%n%s", roundTripped.path("spec"))
        .isTrue();
    assertThat(roundTripped.at("/metadata/labels")).isEqualTo(original.at("/metadata/labels"));
  }

  @Test
  void javaDefaultsAreTheSchemaDefaults() throws IOException {
    JsonNode minimal =
        CrdValidator.YAML.readTree(
            """
            apiVersion: goldpan.dev/v1alpha1
            kind: DistillationJob
            metadata: {name: minimal}
            spec:
              dataset: {format: idx, source: 'file:///data/fashion-mnist'}
              output: {location: 'file:///tmp/out'}
            """);
    DistillationJobSpec spec =
        SERIALIZATION
            .unmarshal(CrdValidator.YAML.writeValueAsString(minimal), DistillationJob.class)
            .getSpec();

    JsonNode fromJava = CrdValidator.YAML.readTree(SERIALIZATION.asYaml(spec));

    assertThat(fromJava.equals(BY_VALUE, validator.withDefaults(minimal).path("spec")))
        .as("Java defaults %s", fromJava)
        .isTrue();
    assertThat(spec.getSelection().getStaticSelection().getCriterion())
        .isEqualTo(StaticCriterion.LOSS_CONVERGE);
    assertThat(spec.getSelection().getCausal().getKeep()).isEqualTo(CausalKeep.MIDDLE);
    assertThat(spec.getDistillation().getAlgorithm()).isEqualTo(Algorithm.DM);
  }
}
