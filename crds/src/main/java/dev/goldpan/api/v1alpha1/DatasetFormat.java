package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** On-disk format of a data set. */
public enum DatasetFormat {
  @JsonProperty("idx")
  IDX("idx"),
  @JsonProperty("cifar-binary")
  CIFAR_BINARY("cifar-binary"),
  @JsonProperty("image-folder")
  IMAGE_FOLDER("image-folder"),
  @JsonProperty("npz")
  NPZ("npz"),
  @JsonProperty("tar-shards")
  TAR_SHARDS("tar-shards");

  private final String value;

  DatasetFormat(String value) {
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
