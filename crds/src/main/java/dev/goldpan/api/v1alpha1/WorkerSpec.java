package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;

/** Overrides for the worker container. */
public class WorkerSpec {

  @Size(min = 1, max = 512)
  @JsonPropertyDescription("Worker image; the operator's configured image when absent.")
  private String image;

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }
}
