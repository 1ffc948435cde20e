package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Mean and standard deviation of test accuracy. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AccuracySummary {

  @JsonPropertyDescription("Mean test accuracy in [0, 1].")
  private Double mean;

  @JsonPropertyDescription("Standard deviation of test accuracy.")
  private Double std;

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
}
