package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Phase of a DistillationJob. */
public enum Phase {
  @JsonProperty("Pending")
  PENDING("Pending"),
  @JsonProperty("Scoring")
  SCORING("Scoring"),
  @JsonProperty("Distilling")
  DISTILLING("Distilling"),
  @JsonProperty("Evaluating")
  EVALUATING("Evaluating"),
  @JsonProperty("Succeeded")
  SUCCEEDED("Succeeded"),
  @JsonProperty("Failed")
  FAILED("Failed"),
  @JsonProperty("Suspended")
  SUSPENDED("Suspended");

  private final String value;

  Phase(String value) {
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
