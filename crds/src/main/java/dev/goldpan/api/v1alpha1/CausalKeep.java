package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Which samples causal selection keeps active. */
public enum CausalKeep {
  @JsonProperty("most-contributing")
  MOST_CONTRIBUTING("most-contributing"),
  @JsonProperty("middle")
  MIDDLE("middle");

  private final String value;

  CausalKeep(String value) {
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
