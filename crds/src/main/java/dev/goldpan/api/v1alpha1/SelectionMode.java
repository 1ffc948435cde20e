package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How the selection settings are chosen. */
public enum SelectionMode {
  /** The static and causal settings as written. */
  @JsonProperty("manual")
  MANUAL("manual"),
  /** Pilot distillations choose the static keep ratio and criterion and the causal rule. */
  @JsonProperty("auto")
  AUTO("auto"),
  /**
   * No pruning: every real sample is used ("none" rather than "off", which YAML reads as false).
   */
  @JsonProperty("none")
  NONE("none");

  private final String value;

  SelectionMode(String value) {
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
