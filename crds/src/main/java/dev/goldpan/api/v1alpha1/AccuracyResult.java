package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Test accuracy of networks trained on the synthetic set. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AccuracyResult {

  @JsonPropertyDescription("Mean test accuracy in [0, 1].")
  private Double mean;

  @JsonPropertyDescription("Standard deviation of test accuracy.")
  private Double std;

  @JsonPropertyDescription("Networks evaluated.")
  private Integer models;

  public Double getMean() {
    return mean;
  }

  public void setMean(Double mean) {
    this.mean = mean;
  }

  public Double getStd() {
    return std;
  }

  public void setStd(Double std) {
    this.std = std;
  }

  public Integer getModels() {
    return models;
  }

  public void setModels(Integer models) {
    this.models = models;
  }
}
