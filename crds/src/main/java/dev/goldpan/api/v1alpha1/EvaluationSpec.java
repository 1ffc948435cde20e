package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/** Training of fresh networks on the synthetic set and on the baselines. */
public class EvaluationSpec {

  @Min(1)
  @Max(100)
  @JsonPropertyDescription(
      "Networks trained; accuracy is reported as their mean and standard deviation.")
  private Integer models = 5;

  @Min(1)
  @JsonPropertyDescription(
      "Training epochs of each evaluation network; the learning rate drops 10x at half. When unset, the reference's: 300 without augmentation (dc), 1000 with DSA (dsa, dm).")
  private Integer epochs;

  @Size(max = 4)
  @JsonPropertyDescription("Baselines evaluated the same way on a real subset of the same size.")
  private List<Baseline> baselines = new ArrayList<>(List.of(Baseline.RANDOM_REAL));

  public Integer getModels() {
    return models;
  }

  public void setModels(Integer models) {
    this.models = models;
  }

  public Integer getEpochs() {
    return epochs;
  }

  public void setEpochs(Integer epochs) {
    this.epochs = epochs;
  }

  public List<Baseline> getBaselines() {
    return baselines;
  }

  public void setBaselines(List<Baseline> baselines) {
    this.baselines = baselines;
  }
}
