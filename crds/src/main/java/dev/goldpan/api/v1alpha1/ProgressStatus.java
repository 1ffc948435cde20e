package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Live progress of the running stage. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ProgressStatus {

  @JsonPropertyDescription("The stage reporting.")
  private String stage;

  @JsonPropertyDescription("Steps done.")
  private Long step;

  @JsonPropertyDescription("Steps in the stage.")
  private Long totalSteps;

  @JsonPropertyDescription("Percent of the stage done.")
  private Integer percent;

  @JsonPropertyDescription("Latest loss.")
  private Double loss;

  @JsonPropertyDescription("Estimated seconds until the stage ends.")
  private Long etaSeconds;

  @JsonPropertyDescription("When this was reported (RFC 3339).")
  private String updatedAt;

  public String getStage() {
    return stage;
  }

  public void setStage(String stage) {
    this.stage = stage;
  }

  public Long getStep() {
    return step;
  }

  public void setStep(Long step) {
    this.step = step;
  }

  public Long getTotalSteps() {
    return totalSteps;
  }

  public void setTotalSteps(Long totalSteps) {
    this.totalSteps = totalSteps;
  }

  public Integer getPercent() {
    return percent;
  }

  public void setPercent(Integer percent) {
    this.percent = percent;
  }

  public Double getLoss() {
    return loss;
  }

  public void setLoss(Double loss) {
    this.loss = loss;
  }

  public Long getEtaSeconds() {
    return etaSeconds;
  }

  public void setEtaSeconds(Long etaSeconds) {
    this.etaSeconds = etaSeconds;
  }

  public String getUpdatedAt() {
    return updatedAt;
  }

  public void setUpdatedAt(String updatedAt) {
    this.updatedAt = updatedAt;
  }
}
