package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Network architecture: the ConvNet of the DM/DC papers, or an MLP (distribution matching only,
 * since gradient matching compares convolution gradients per output channel).
 */
public enum Architecture {
  @JsonProperty("convnet")
  CONVNET("convnet"),
  @JsonProperty("mlp")
  MLP("mlp");

  private final String value;

  Architecture(String value) {
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
