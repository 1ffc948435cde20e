package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Augmentation during distillation and evaluation. */
public enum Augmentation {
  @JsonProperty("dsa")
  DSA("dsa"),
  @JsonProperty("none")
  NONE("none");

  private final String value;

  Augmentation(String value) {
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
