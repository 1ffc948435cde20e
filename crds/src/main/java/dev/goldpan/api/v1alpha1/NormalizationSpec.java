package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** Per-channel mean and standard deviation. */
@ValidationRule(
    value = "size(self.mean) == size(self.std)",
    message = "mean and std must have one value per channel each",
    fieldPath = ".std")
@ValidationRule(
    value = "self.std.all(s, s > 0.0)",
    message = "std values must be positive",
    fieldPath = ".std")
public class NormalizationSpec {

  @Required
  @Size(min = 1, max = 4)
  @JsonPropertyDescription("Per-channel mean, one value per channel.")
  private List<Double> mean;

  @Required
  @Size(min = 1, max = 4)
  @JsonPropertyDescription("Per-channel standard deviation, one positive value per channel.")
  private List<Double> std;

  public List<Double> getMean() {
    return mean;
  }

  public void setMean(List<Double> mean) {
    this.mean = mean;
  }

  public List<Double> getStd() {
    return std;
  }

  public void setStd(List<Double> std) {
    this.std = std;
  }
}
