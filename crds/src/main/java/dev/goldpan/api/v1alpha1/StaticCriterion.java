package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Level-1 scoring criterion. */
public enum StaticCriterion {
  @JsonProperty("loss-converge")
  LOSS_CONVERGE("loss-converge"),
  @JsonProperty("loss-init")
  LOSS_INIT("loss-init"),
  @JsonProperty("random")
  RANDOM("random"),
  @JsonProperty("precomputed")
  PRECOMPUTED("precomputed");

  private final String value;

  StaticCriterion(String value) {
    this.value = value;
  }

  /** The name used in manifests. */
  public String value() {
    return value;
  }

  @Override
  public String toString() {
    return value;
  }
}
