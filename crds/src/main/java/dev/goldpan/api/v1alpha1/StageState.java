package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** State of one pipeline stage. */
public enum StageState {
  @JsonProperty("Pending")
  PENDING("Pending"),
  @JsonProperty("Queued")
  QUEUED("Queued"),
  /**
   * The stage's Job exists but its pods cannot start, for a reason Kubernetes gives (no node fits,
   * the image cannot be pulled, a volume or Secret is missing); the stage's message says which.
   */
  @JsonProperty("Waiting")
  WAITING("Waiting"),
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
