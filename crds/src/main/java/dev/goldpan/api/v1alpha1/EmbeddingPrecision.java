package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The number format of distribution matching's real-data embeddings. */
public enum EmbeddingPrecision {
  /** bfloat16 where the device computes it natively, float32 elsewhere. */
  @JsonProperty("auto")
  AUTO("auto"),
  @JsonProperty("float32")
  FLOAT32("float32"),
  @JsonProperty("bfloat16")
  BFLOAT16("bfloat16");

  private final String value;

  EmbeddingPrecision(String value) {
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
