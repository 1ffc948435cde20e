package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** Training of fresh networks on the synthetic set and on the baselines. */
@ValidationRule(
    value = "!has(self.parallelism) || !has(self.models) || self.parallelism <= self.models",
    message = "parallelism must not exceed models (one network per pod at most)",
    fieldPath = ".parallelism")
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

  @Min(1)
  @Max(100)
  @JsonPropertyDescription(
      "Pods that evaluate at once, one Job completion each; network m (and its baselines) is trained by pod m mod parallelism, and the last pod to finish merges their accuracies into evaluation.json. At most models.")
  private Integer parallelism = 1;

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

  public Integer getParallelism() {
    return parallelism;
  }

  public void setParallelism(Integer parallelism) {
    this.parallelism = parallelism;
  }

  public List<Baseline> getBaselines() {
    return baselines;
  }

  public void setBaselines(List<Baseline> baselines) {
    this.baselines = baselines;
  }
}
