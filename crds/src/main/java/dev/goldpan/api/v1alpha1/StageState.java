package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** State of one pipeline stage. */
public enum StageState {
  @JsonProperty("Pending")
  PENDING("Pending"),
  @JsonProperty("Queued")
  QUEUED("Queued"),
  @JsonProperty("Running")
  RUNNING("Running"),
  @JsonProperty("Succeeded")
  SUCCEEDED("Succeeded"),
  @JsonProperty("Failed")
  FAILED("Failed"),
  @JsonProperty("Suspended")
  SUSPENDED("Suspended"),
  @JsonProperty("Skipped")
  SKIPPED("Skipped");

  private final String value;

  StageState(String value) {
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
