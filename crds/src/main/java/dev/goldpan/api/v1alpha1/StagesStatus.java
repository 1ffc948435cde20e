package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The pipeline stages. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class StagesStatus {

  @JsonPropertyDescription("Level-1 scoring (skipped for precomputed scores).")
  private StageStatus score;

  @JsonPropertyDescription("Distillation, with causal selection when enabled.")
  private StageStatus distill;

  @JsonPropertyDescription("Evaluation of the synthetic set and the baselines.")
  private StageStatus evaluate;

  public StageStatus getScore() {
    return score;
  }

  public void setScore(StageStatus score) {
    this.score = score;
  }

  public StageStatus getDistill() {
    return distill;
  }

  public void setDistill(StageStatus distill) {
    this.distill = distill;
  }

  public StageStatus getEvaluate() {
    return evaluate;
  }

  public void setEvaluate(StageStatus evaluate) {
    this.evaluate = evaluate;
  }
}
