package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/** Compute resources of each worker pod. */
public class ResourcesSpec {

  @Min(0)
  @Max(64)
  @JsonPropertyDescription("GPUs per worker pod; 0 runs on CPU.")
  private Integer gpus = 1;

  @Pattern("^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$")
  @JsonPropertyDescription("Extended resource name of the GPU.")
  private String gpuResource = "nvidia.com/gpu";

  @Pattern("^([+]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
  @JsonPropertyDescription("CPU request and limit, a Kubernetes quantity.")
  private String cpu;

  @Pattern("^([+]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
  @JsonPropertyDescription("Memory request and limit, a Kubernetes quantity.")
  private String memory;

  public Integer getGpus() {
    return gpus;
  }

  public void setGpus(Integer gpus) {
    this.gpus = gpus;
  }

  public String getGpuResource() {
    return gpuResource;
  }

  public void setGpuResource(String gpuResource) {
    this.gpuResource = gpuResource;
  }

  public String getCpu() {
    return cpu;
  }

  public void setCpu(String cpu) {
    this.cpu = cpu;
  }

  public String getMemory() {
    return memory;
  }

  public void setMemory(String memory) {
    this.memory = memory;
  }
}
