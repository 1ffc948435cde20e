package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Which end of the score order static selection removes. */
public enum DropEnd {
  @JsonProperty("largest")
  LARGEST("largest"),
  @JsonProperty("smallest")
  SMALLEST("smallest");

  private final String value;

  DropEnd(String value) {
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
