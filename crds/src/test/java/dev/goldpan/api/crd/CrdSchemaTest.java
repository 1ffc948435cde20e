package dev.goldpan.api.crd;

import static dev.goldpan.api.crd.TestManifests.readExample;
import static dev.goldpan.api.crd.TestManifests.with;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.goldpan.api.v1alpha1.DistillationJob;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class CrdSchemaTest {

  private static CrdValidator validator;
  private static JsonNode crd;
  private static JsonNode valid;

  @BeforeAll
  static void load() throws IOException {
    validator = new CrdValidator(TestManifests.generatedCrd());
    crd = CrdValidator.read(TestManifests.generatedCrd());
    valid = readExample("fashion-mnist-dm.yaml");
  }

  @ParameterizedTest
  @ValueSource(strings = {"fashion-mnist-dm.yaml", "fashion-mnist-bilp.yaml"})
  void examplesAreAccepted(String example) {
    assertThat(validator.validateCreate(readExample(example))).isEmpty();
  }

  static Stream<Arguments> invalidSpecs() {
    return TestManifests.invalidSpecs().stream()
        .map(spec -> Arguments.of(spec.path(), spec.value(), spec.field()));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("invalidSpecs")
  void invalidSpecIsRefusedNamingTheField(String path, String value, String field) {
    List<String> errors = validator.validateCreate(with(valid, path, value));

    assertThat(errors).isNotEmpty();
    assertThat(String.join("\n", errors)).contains(field);
  }

  @Test
  void gradientMatchingRequiresTheConvNet() {
    JsonNode mlpDc =
        with(with(valid, "spec.model.architecture", "mlp"), "spec.distillation.algorithm", "dc");
    JsonNode mlpDm = with(valid, "spec.model.architecture", "mlp");

    assertThat(validator.validateCreate(mlpDc))
        .singleElement()
        .asString()
        .startsWith("spec.model.architecture")
        .contains("require model.architecture convnet");
    assertThat(validator.validateCreate(mlpDm)).isEmpty();
  }

  @Test
  void aNameTooLongForTheStageJobsIsRefusedNamingTheLimit() {
    String longest = "a".repeat(DistillationJob.MAX_NAME_LENGTH);

    assertThat(validator.validateCreate(with(valid, "metadata.name", longest))).isEmpty();
    assertThat(validator.validateCreate(with(valid, "metadata.name", longest + "b")))
        .singleElement()
        .asString()
        .contains("at most 51 characters")
        .contains("<name>-distill-999");
  }

  @Test
  void s3SourceWithSecretIsAccepted() {
    JsonNode s3 =
        with(
            with(valid, "spec.dataset.source", "s3://datasets/fashion-mnist"),
            "spec.dataset.credentialsSecret",
            "datasets-s3");

    assertThat(validator.validateCreate(s3)).isEmpty();
  }

  @Test
  void suspendIsTheOnlyFieldThatMayChange() {
    assertThat(validator.validateUpdate(valid, with(valid, "spec.suspend", "true"))).isEmpty();

    assertThat(validator.validateUpdate(valid, with(valid, "spec.distillation.iterations", "999")))
        .singleElement()
        .asString()
        .contains("spec.distillation is immutable");
    assertThat(validator.validateUpdate(valid, with(valid, "spec.seed", "2")))
        .singleElement()
        .asString()
        .contains("spec.seed is immutable");
  }

  @Test
  void optionalFieldsCannotBeAddedOrRemovedAfterCreation() {
    JsonNode withDeadline = with(valid, "spec.activeDeadlineSeconds", "3600");

    assertThat(validator.validateUpdate(valid, withDeadline))
        .anySatisfy(error -> assertThat(error).contains("cannot be added or removed"));
    assertThat(validator.validateUpdate(withDeadline, valid))
        .anySatisfy(error -> assertThat(error).contains("cannot be added or removed"));
    assertThat(validator.validateUpdate(withDeadline, withDeadline)).isEmpty();
  }

  @Test
  void defaultsFillAMinimalSpec() {
    JsonNode minimal =
        with(
            with(valid, "spec", "{dataset: {format: idx, source: 'pvc://data/'}}"),
            "spec.output",
            "{location: 'pvc://out/run'}");

    JsonNode spec = validator.withDefaults(minimal).path("spec");

    assertThat(validator.validateCreate(minimal)).isEmpty();
    assertThat(spec.at("/selection/static/criterion").asText()).isEqualTo("loss-converge");
    assertThat(spec.at("/selection/static/keepRatio").asDouble()).isEqualTo(0.5);
    assertThat(spec.at("/selection/static/scoring/epochs").asInt()).isEqualTo(10);
    assertThat(spec.at("/selection/causal/enabled").asBoolean()).isFalse();
    assertThat(spec.at("/selection/mode").asText()).isEqualTo("manual");
    assertThat(spec.at("/selection/causal/keep").asText()).isEqualTo("middle");
    assertThat(spec.at("/selection/causal/networks").asInt()).isEqualTo(2);
    assertThat(spec.at("/selection/auto/budget").asDouble()).isEqualTo(0.2);
    // Left to the worker, which resolves them by algorithm and records them in manifest.json.
    assertThat(spec.at("/distillation").has("iterations")).isFalse();
    assertThat(spec.at("/distillation").has("learningRate")).isFalse();
    assertThat(spec.at("/distillation").has("augmentation")).isFalse();
    assertThat(spec.at("/distillation").has("init")).isFalse();
    assertThat(spec.at("/evaluation").has("epochs")).isFalse();
    assertThat(spec.at("/evaluation/baselines/0").asText()).isEqualTo("random-real");
    assertThat(spec.at("/resources/gpuResource").asText()).isEqualTo("nvidia.com/gpu");
    assertThat(spec.at("/backoffLimit").asInt()).isEqualTo(3);
    assertThat(spec.has("activeDeadlineSeconds")).isFalse();
  }

  @Test
  void everySpecFieldIsDescribed() {
    List<String> undescribed = new ArrayList<>();
    collectUndescribed(
        crd.at("/spec/versions/0/schema/openAPIV3Schema/properties/spec"), "spec", undescribed);

    assertThat(undescribed).isEmpty();
  }

  private static void collectUndescribed(JsonNode schema, String path, List<String> undescribed) {
    Iterator<Map.Entry<String, JsonNode>> properties = schema.path("properties").fields();
    while (properties.hasNext()) {
      Map.Entry<String, JsonNode> property = properties.next();
      String child = path + "." + property.getKey();
      if (!property.getValue().hasNonNull("description")) {
        undescribed.add(child);
      }
      // Kubernetes' own types (affinity, tolerations) carry the upstream schema as it is.
      if (!child.startsWith("spec.podTemplate.affinity")
          && !child.startsWith("spec.podTemplate.tolerations")) {
        collectUndescribed(property.getValue(), child, undescribed);
      }
    }
  }

  @Test
  void resourceShapeIsTheContract() {
    JsonNode version = crd.at("/spec/versions/0");

    assertThat(crd.at("/metadata/name").asText()).isEqualTo("distillationjobs.goldpan.dev");
    assertThat(crd.at("/spec/scope").asText()).isEqualTo("Namespaced");
    assertThat(crd.at("/spec/names/shortNames/0").asText()).isEqualTo("dj");
    assertThat(version.path("name").asText()).isEqualTo("v1alpha1");
    assertThat(version.at("/subresources/status").isObject()).isTrue();
    List<String> columns = new ArrayList<>();
    version.path("additionalPrinterColumns").forEach(c -> columns.add(c.path("name").asText()));
    assertThat(columns)
        .containsExactly("Phase", "Stage", "Reason", "Progress", "Accuracy", "Output", "Age");
    assertThat(version.at("/additionalPrinterColumns/1/jsonPath").asText())
        .isEqualTo(".status.stage");
    assertThat(version.at("/additionalPrinterColumns/2/jsonPath").asText())
        .isEqualTo(".status.reason");
    JsonNode conditions =
        version.at("/schema/openAPIV3Schema/properties/status/properties/conditions");
    assertThat(conditions.path("x-kubernetes-list-type").asText()).isEqualTo("map");
    assertThat(conditions.path("x-kubernetes-list-map-keys").get(0).asText()).isEqualTo("type");
  }
}
