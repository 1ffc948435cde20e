package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Distillation algorithm. */
public enum Algorithm {
  @JsonProperty("dm")
  DM("dm"),
  @JsonProperty("dc")
  DC("dc"),
  @JsonProperty("dsa")
  DSA("dsa");

  private final String value;

  Algorithm(String value) {
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
