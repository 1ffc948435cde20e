package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Initialisation of the synthetic images. */
public enum SyntheticInit {
  @JsonProperty("real")
  REAL("real"),
  @JsonProperty("noise")
  NOISE("noise");

  private final String value;

  SyntheticInit(String value) {
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
