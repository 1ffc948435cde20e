package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/** Level-1 selection: score every sample, keep a fraction per class. */
@ValidationRule(
    value = "!has(self.criterion) || self.criterion != 'precomputed' || has(self.scoresSource)",
    message = "criterion precomputed requires scoresSource",
    fieldPath = ".scoresSource")
public class StaticSelectionSpec {

  @JsonPropertyDescription(
      "Score: loss-converge (loss after training), loss-init (mean loss over the first epochs), random, or precomputed.")
  private StaticCriterion criterion = StaticCriterion.LOSS_CONVERGE;

  @Min(value = 0, inclusive = false)
  @Max(1)
  @JsonPropertyDescription(
      "Fraction of each class kept, in (0, 1]; never fewer than imagesPerClass samples.")
  private Double keepRatio = 0.5;

  @JsonPropertyDescription("Which end of the score order is removed.")
  private DropEnd drop = DropEnd.LARGEST;

  @JsonPropertyDescription("Training of the scoring networks.")
  private ScoringSpec scoring = new ScoringSpec();

  @Pattern(
      "^(pvc://[a-z0-9]([-a-z0-9]*[a-z0-9])?(/.*)?|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?|file:///.*)$")
  @JsonPropertyDescription(
      "For precomputed: a .npy file or JSON array with one score per training sample.")
  private String scoresSource;

  public StaticCriterion getCriterion() {
    return criterion;
  }

  public void setCriterion(StaticCriterion criterion) {
    this.criterion = criterion;
  }

  public Double getKeepRatio() {
    return keepRatio;
  }

  public void setKeepRatio(Double keepRatio) {
    this.keepRatio = keepRatio;
  }

  public DropEnd getDrop() {
    return drop;
  }

  public void setDrop(DropEnd drop) {
    this.drop = drop;
  }

  public ScoringSpec getScoring() {
    return scoring;
  }

  public void setScoring(ScoringSpec scoring) {
    this.scoring = scoring;
  }

  public String getScoresSource() {
    return scoresSource;
  }

  public void setScoresSource(String scoresSource) {
    this.scoresSource = scoresSource;
  }
}
