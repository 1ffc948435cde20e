package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * What the operator observed; rebuilt on every reconcile. Only progress is written by the progress
 * endpoint.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DistillationJobStatus {

  @JsonPropertyDescription("The generation this status describes.")
  private Long observedGeneration;

  @JsonPropertyDescription(
      "Where the job is: Pending, Scoring, Distilling, Evaluating, Succeeded, Failed or Suspended.")
  private Phase phase;

  @JsonPropertyDescription(
      "Accepted, ScoresReady, Distilled, Evaluated, Succeeded, Failed and Suspended.")
  private List<Condition> conditions;

  @JsonPropertyDescription(
      "The stage the job is in or ended in: score, distill or evaluate; absent before the first"
          + " stage's Job exists.")
  private String stage;

  @JsonPropertyDescription(
      "Why the job waits or failed, in one word: Queued (Kueue has not admitted its Job),"
          + " Unschedulable, an image or container error such as ImagePullBackOff, or the Failed"
          + " condition's reason; absent while it runs or after it succeeded.")
  private String reason;

  @JsonPropertyDescription("One entry per pipeline stage.")
  private StagesStatus stages;

  @JsonPropertyDescription("Live progress reported by the running worker.")
  private ProgressStatus progress;

  @JsonPropertyDescription("Where the artifacts are and how good the synthetic set is.")
  private ResultStatus result;

  @JsonPropertyDescription("When the first stage started (RFC 3339).")
  private String startTime;

  @JsonPropertyDescription("When the job succeeded or failed (RFC 3339).")
  private String completionTime;

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public Phase getPhase() {
    return phase;
  }

  public void setPhase(Phase phase) {
    this.phase = phase;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions;
  }

  public String getStage() {
    return stage;
  }

  public void setStage(String stage) {
    this.stage = stage;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  public StagesStatus getStages() {
    return stages;
  }

  public void setStages(StagesStatus stages) {
    this.stages = stages;
  }

  public ProgressStatus getProgress() {
    return progress;
  }

  public void setProgress(ProgressStatus progress) {
    this.progress = progress;
  }

  public ResultStatus getResult() {
    return result;
  }

  public void setResult(ResultStatus result) {
    this.result = result;
  }

  public String getStartTime() {
    return startTime;
  }

  public void setStartTime(String startTime) {
    this.startTime = startTime;
  }

  public String getCompletionTime() {
    return completionTime;
  }

  public void setCompletionTime(String completionTime) {
    this.completionTime = completionTime;
  }
}
