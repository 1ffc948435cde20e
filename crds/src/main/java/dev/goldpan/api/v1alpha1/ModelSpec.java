package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** The ConvNet: depth blocks of conv, instance norm, ReLU and 2x2 average pooling. */
public class ModelSpec {

  @JsonPropertyDescription("Network architecture.")
  private Architecture architecture = Architecture.CONVNET;

  @Min(1)
  @Max(6)
  @JsonPropertyDescription("Number of conv blocks.")
  private Integer depth = 3;

  @Min(1)
  @Max(1024)
  @JsonPropertyDescription("Channels per conv layer.")
  private Integer width = 128;

  public Architecture getArchitecture() {
    return architecture;
  }

  public void setArchitecture(Architecture architecture) {
    this.architecture = architecture;
  }

  public Integer getDepth() {
    return depth;
  }

  public void setDepth(Integer depth) {
    this.depth = depth;
  }

  public Integer getWidth() {
    return width;
  }

  public void setWidth(Integer width) {
    this.width = width;
  }
}
