package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One stage of the pipeline and its Job. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class StageStatus {

  @JsonPropertyDescription(
      "Pending, Queued (waiting for Kueue to admit its Job), Waiting (its pods cannot start; the reason says why), Running, Succeeded, Failed, Suspended or Skipped.")
  private StageState state;

  @JsonPropertyDescription("Pods started for this stage, retries included.")
  private Integer attempts;

  @JsonPropertyDescription("Name of the stage's batch/v1 Job.")
  private String job;

  @JsonPropertyDescription("When the stage's Job started (RFC 3339).")
  private String startTime;

  @JsonPropertyDescription("When the stage's Job finished (RFC 3339).")
  private String completionTime;

  @JsonPropertyDescription(
      "Why a Waiting stage's pods do not start, as Kubernetes names it: Unschedulable,"
          + " ImagePullBackOff, ErrImagePull, CreateContainerConfigError, FailedMount...")
  private String reason;

  @JsonPropertyDescription("The worker's own summary or error message.")
  private String message;

  public StageState getState() {
    return state;
  }

  public void setState(StageState state) {
    this.state = state;
  }

  public Integer getAttempts() {
    return attempts;
  }

  public void setAttempts(Integer attempts) {
    this.attempts = attempts;
  }

  public String getJob() {
    return job;
  }

  public void setJob(String job) {
    this.job = job;
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

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }
}
