package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Evaluation baselines. */
public enum Baseline {
  @JsonProperty("random-real")
  RANDOM_REAL("random-real");

  private final String value;

  Baseline(String value) {
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
