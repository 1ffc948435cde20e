package dev.goldpan.operator.progress;

import com.fasterxml.jackson.databind.JsonNode;

/** One report from a worker: {@code {stage, step, totalSteps, loss}}. */
public record ProgressReport(String stage, long step, long totalSteps, Double loss) {

  /** The report in {@code body}, or an exception naming the field that is wrong. */
  public static ProgressReport parse(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw new IllegalArgumentException("the body must be a JSON object");
    }
    JsonNode stage = body.get("stage");
    if (stage == null || !stage.isTextual() || stage.asText().isBlank()) {
      throw new IllegalArgumentException("stage must be a non-empty string");
    }
    long step = wholeNumber(body, "step");
    long totalSteps = wholeNumber(body, "totalSteps");
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0");
    }
    if (totalSteps <= 0) {
      throw new IllegalArgumentException("totalSteps must be > 0");
    }
    if (step > totalSteps) {
      throw new IllegalArgumentException("step must be <= totalSteps");
    }
    JsonNode loss = body.get("loss");
    Double lossValue = null;
    if (loss != null && !loss.isNull()) {
      if (!loss.isNumber()) {
        throw new IllegalArgumentException("loss must be a number");
      }
      lossValue = loss.asDouble();
    }
    return new ProgressReport(stage.asText(), step, totalSteps, lossValue);
  }

  private static long wholeNumber(JsonNode body, String field) {
    JsonNode value = body.get(field);
    if (value == null || !value.isIntegralNumber()) {
      throw new IllegalArgumentException(field + " must be a whole number");
    }
    return value.asLong();
  }
}
