package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

/** Training of the scoring networks (SGD lr 0.01, momentum 0.9, weight decay 5e-4, batch 256). */
@ValidationRule(
    value = "!has(self.initEpochs) || !has(self.epochs) || self.initEpochs <= self.epochs",
    message = "initEpochs must not exceed epochs",
    fieldPath = ".initEpochs")
public class ScoringSpec {

  @Min(1)
  @Max(1000)
  @JsonPropertyDescription("Training epochs of each scorer.")
  private Integer epochs = 10;

  @Min(1)
  @Max(1000)
  @JsonPropertyDescription("Epochs averaged by loss-init; at most epochs.")
  private Integer initEpochs = 2;

  @Min(1)
  @Max(64)
  @JsonPropertyDescription("Scorers with different seeds, one pod each; the score is their mean.")
  private Integer ensemble = 1;

  public Integer getEpochs() {
    return epochs;
  }

  public void setEpochs(Integer epochs) {
    this.epochs = epochs;
  }

  public Integer getInitEpochs() {
    return initEpochs;
  }

  public void setInitEpochs(Integer initEpochs) {
    this.initEpochs = initEpochs;
  }

  public Integer getEnsemble() {
    return ensemble;
  }

  public void setEnsemble(Integer ensemble) {
    this.ensemble = ensemble;
  }
}
