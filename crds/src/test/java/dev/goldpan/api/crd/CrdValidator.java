package dev.goldpan.api.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Validates manifests against the generated CRD the way the API server does on create and update:
 * structural defaulting, the OpenAPI schema (unknown fields refused, as {@code kubectl apply} does
 * with strict field validation), then every {@code x-kubernetes-validations} CEL rule with {@code
 * self} and, on update, {@code oldSelf}.
 */
final class CrdValidator {

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final JsonNode openApiSchema;
  private final JsonSchema jsonSchema;
  private final Cel cel =
      CelFactory.standardCelBuilder()
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addVar("self", SimpleType.DYN)
          .addVar("oldSelf", SimpleType.DYN)
          .build();
  private final Map<String, CelAbstractSyntaxTree> compiled = new HashMap<>();

  CrdValidator(Path crdFile) throws IOException {
    JsonNode crd = YAML.readTree(crdFile.toFile());
    openApiSchema = crd.at("/spec/versions/0/schema/openAPIV3Schema");
    if (openApiSchema.isMissingNode()) {
      throw new IllegalArgumentException(crdFile + " has no openAPIV3Schema");
    }
    ObjectNode strict = openApiSchema.deepCopy();
    // The API server accepts these at the root of every object whatever the schema says.
    ObjectNode root = strict.with("properties");
    root.putObject("apiVersion").put("type", "string");
    root.putObject("kind").put("type", "string");
    root.putObject("metadata")
        .put("type", "object")
        .put("x-kubernetes-preserve-unknown-fields", true);
    forbidUnknownFields(strict);
    jsonSchema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(strict);
  }

  static JsonNode read(Path manifest) throws IOException {
    return YAML.readTree(manifest.toFile());
  }

  /** The manifest with the schema's defaults applied, as the API server stores it. */
  JsonNode withDefaults(JsonNode manifest) {
    JsonNode copy = manifest.deepCopy();
    applyDefaults(openApiSchema, copy);
    return copy;
  }

  /** Errors for a create, each naming the field; empty when the manifest is accepted. */
  List<String> validateCreate(JsonNode manifest) {
    return validate(null, manifest);
  }

  /** Errors for an update from {@code old} to {@code updated}. */
  List<String> validateUpdate(JsonNode old, JsonNode updated) {
    return validate(withDefaults(old), updated);
  }

  private List<String> validate(JsonNode old, JsonNode manifest) {
    JsonNode object = withDefaults(manifest);
    List<String> errors = new ArrayList<>();
    for (ValidationMessage message : jsonSchema.validate(object)) {
      errors.add(message.getMessage());
    }
    if (errors.isEmpty()) {
      evaluateRules(openApiSchema, object, old, "", errors);
    }
    return errors;
  }

  private static void forbidUnknownFields(JsonNode schema) {
    if (!schema.isObject()) {
      return;
    }
    ObjectNode node = (ObjectNode) schema;
    if (node.has("properties")
        && !node.has("additionalProperties")
        && !node.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
      node.put("additionalProperties", false);
    }
    node.path("properties").forEach(CrdValidator::forbidUnknownFields);
    forbidUnknownFields(node.path("items"));
    forbidUnknownFields(node.path("additionalProperties"));
  }

  private static void applyDefaults(JsonNode schema, JsonNode value) {
    if (value instanceof ObjectNode object) {
      Iterator<Map.Entry<String, JsonNode>> properties = schema.path("properties").fields();
      while (properties.hasNext()) {
        Map.Entry<String, JsonNode> property = properties.next();
        JsonNode defaultValue = property.getValue().get("default");
        if (!object.has(property.getKey()) && defaultValue != null) {
          object.set(property.getKey(), defaultValue.deepCopy());
        }
        if (object.has(property.getKey())) {
          applyDefaults(property.getValue(), object.get(property.getKey()));
        }
      }
      JsonNode additional = schema.path("additionalProperties");
      if (additional.isObject()) {
        object.forEach(child -> applyDefaults(additional, child));
      }
    } else if (value instanceof ArrayNode array) {
      array.forEach(item -> applyDefaults(schema.path("items"), item));
    }
  }

  private void evaluateRules(
      JsonNode schema, JsonNode value, JsonNode old, String path, List<String> errors) {
    for (JsonNode rule : schema.path("x-kubernetes-validations")) {
      String expression = rule.path("rule").asText();
      boolean transition = expression.contains("oldSelf");
      if (transition && old == null) {
        continue;
      }
      Map<String, Object> variables = new LinkedHashMap<>();
      variables.put("self", toCel(schema, value));
      if (transition) {
        variables.put("oldSelf", toCel(schema, old));
      }
      if (!Boolean.TRUE.equals(evaluate(expression, variables))) {
        String field = path + rule.path("fieldPath").asText("");
        errors.add(
            (field.isEmpty() ? "<root>" : field.substring(1))
                + ": Invalid value: "
                + rule.path("message").asText(expression));
      }
    }
    Iterator<Map.Entry<String, JsonNode>> properties = schema.path("properties").fields();
    while (properties.hasNext()) {
      Map.Entry<String, JsonNode> property = properties.next();
      JsonNode child = value.get(property.getKey());
      if (child != null) {
        JsonNode oldChild = old == null ? null : old.get(property.getKey());
        evaluateRules(property.getValue(), child, oldChild, path + "." + property.getKey(), errors);
      }
    }
  }

  private Object evaluate(String expression, Map<String, Object> variables) {
    try {
      CelAbstractSyntaxTree ast = compiled.get(expression);
      if (ast == null) {
        ast = cel.compile(expression).getAst();
        compiled.put(expression, ast);
      }
      return cel.createProgram(ast).eval(variables);
    } catch (CelValidationException | CelEvaluationException e) {
      throw new IllegalStateException("CEL rule " + expression + " failed: " + e.getMessage(), e);
    }
  }

  /** Converts a value to CEL the way the API server does: by its schema type, not its JSON form. */
  private static Object toCel(JsonNode schema, JsonNode value) {
    String type = schema.path("type").asText(value.isObject() ? "object" : "");
    if (type.isEmpty()) {
      return value.isNumber() ? value.numberValue() : value.asText();
    }
    switch (type) {
      case "integer":
        return value.asLong();
      case "number":
        return value.asDouble();
      case "boolean":
        return value.asBoolean();
      case "string":
        return value.asText();
      case "array":
        List<Object> items = new ArrayList<>();
        value.forEach(item -> items.add(toCel(schema.path("items"), item)));
        return items;
      default:
        Map<String, Object> fields = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> entries = value.fields();
        while (entries.hasNext()) {
          Map.Entry<String, JsonNode> entry = entries.next();
          JsonNode fieldSchema =
              schema.path("properties").has(entry.getKey())
                  ? schema.path("properties").path(entry.getKey())
                  : schema.path("additionalProperties");
          fields.put(entry.getKey(), toCel(fieldSchema, entry.getValue()));
        }
        return fields;
    }
  }
}
