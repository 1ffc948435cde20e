package dev.goldpan.api.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.DistillationJobSpec;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Generates the DistillationJob CRD from the Java model and adds what the Fabric8 annotations
 * cannot express: defaults taken from the model's own field initialisers, immutability of the spec
 * (all but {@code suspend}), and the list-map topology of {@code status.conditions}.
 *
 * <p>Run by the build ({@code process-classes}); the argument is the output directory.
 */
public final class CrdGenerator implements CRDPostProcessor {

  /** The one spec field that may change after creation. */
  static final String MUTABLE_FIELD = "suspend";

  private final ObjectMapper mapper = new ObjectMapper();

  public static void main(String[] args) {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: CrdGenerator OUTPUT_DIR");
    }
    File outputDir = new File(args[0]);
    if (!outputDir.isDirectory() && !outputDir.mkdirs()) {
      throw new IllegalStateException("cannot create " + outputDir);
    }
    int generated =
        new CRDGenerator()
            .customResourceClasses(DistillationJob.class)
            .forCRDVersions("v1")
            .withPostProcessor(new CrdGenerator())
            .inOutputDir(outputDir)
            .generate();
    if (generated != 1) {
      throw new IllegalStateException("expected one CRD, generated " + generated);
    }
  }

  @Override
  public HasMetadata process(HasMetadata resource, String crdSpecVersion) {
    CustomResourceDefinition crd = (CustomResourceDefinition) resource;
    CustomResourceDefinitionVersion version = crd.getSpec().getVersions().get(0);
    // kubectl shows columns in schema order; the generator orders them by JSON path. Keep the
    // order in which DistillationJob declares them.
    List<String> declared =
        Arrays.stream(DistillationJob.class.getAnnotationsByType(AdditionalPrinterColumn.class))
            .map(AdditionalPrinterColumn::name)
            .toList();
    version
        .getAdditionalPrinterColumns()
        .sort(Comparator.comparing(column -> declared.indexOf(column.getName())));
    JSONSchemaProps root = version.getSchema().getOpenAPIV3Schema();
    JSONSchemaProps spec = root.getProperties().get("spec");
    applyDefaults(spec, mapper.valueToTree(new DistillationJobSpec()));
    makeImmutable(spec);
    JSONSchemaProps conditions =
        root.getProperties().get("status").getProperties().get("conditions");
    conditions.setXKubernetesListType("map");
    conditions.setXKubernetesListMapKeys(List.of("type"));
    conditions.getItems().getSchema().setRequired(List.of("type", "status"));
    return crd;
  }

  /**
   * Sets each property's schema default from the default instance: scalars and lists take their
   * value, objects take {@code {}} so that the API server applies their own fields' defaults.
   */
  private void applyDefaults(JSONSchemaProps schema, JsonNode defaults) {
    for (Map.Entry<String, JSONSchemaProps> property : schema.getProperties().entrySet()) {
      JsonNode value = defaults.get(property.getKey());
      if (value == null || value.isNull()) {
        continue;
      }
      if (value.isObject()) {
        property.getValue().setDefault(mapper.createObjectNode());
        applyDefaults(property.getValue(), value);
      } else {
        property.getValue().setDefault(value);
      }
    }
  }

  /**
   * Every spec field but {@code suspend} keeps its value ({@code self == oldSelf}), and optional
   * fields without a default can be neither added nor removed after creation.
   */
  private void makeImmutable(JSONSchemaProps spec) {
    List<String> required = spec.getRequired() == null ? List.of() : spec.getRequired();
    List<String> optionalWithoutDefault = new ArrayList<>();
    for (Map.Entry<String, JSONSchemaProps> property : spec.getProperties().entrySet()) {
      String name = property.getKey();
      if (name.equals(MUTABLE_FIELD)) {
        continue;
      }
      JSONSchemaProps schema = property.getValue();
      List<ValidationRule> rules = new ArrayList<>(validations(schema));
      rules.add(
          rule("self == oldSelf", "spec." + name + " is immutable; only spec.suspend may change"));
      schema.setXKubernetesValidations(rules);
      if (!required.contains(name) && schema.getDefault() == null) {
        optionalWithoutDefault.add(name);
      }
    }
    String presence =
        optionalWithoutDefault.stream()
            .map(name -> "has(self." + name + ") == has(oldSelf." + name + ")")
            .collect(Collectors.joining(" && "));
    List<ValidationRule> rules = new ArrayList<>(validations(spec));
    rules.add(
        rule(
            presence,
            "spec fields cannot be added or removed after creation ("
                + String.join(", ", optionalWithoutDefault)
                + "); only spec.suspend may change"));
    spec.setXKubernetesValidations(rules);
  }

  private static List<ValidationRule> validations(JSONSchemaProps schema) {
    return schema.getXKubernetesValidations() == null
        ? List.of()
        : schema.getXKubernetesValidations();
  }

  private static ValidationRule rule(String expression, String message) {
    ValidationRule rule = new ValidationRule();
    rule.setRule(expression);
    rule.setMessage(message);
    return rule;
  }
}
