package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Map;

/** The outcome of a finished job. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ResultStatus {

  @JsonPropertyDescription("Where the artifacts are.")
  private String outputLocation;

  @JsonPropertyDescription("Images in the synthetic set.")
  private Integer syntheticImages;

  @JsonPropertyDescription("Real samples kept by static selection.")
  private Long realSamplesKept;

  @JsonPropertyDescription("Test accuracy of networks trained on the synthetic set.")
  private AccuracyResult accuracy;

  @JsonPropertyDescription("Test accuracy of the baselines, by name.")
  private Map<String, AccuracySummary> baselines;

  @JsonPropertyDescription("Locations of the individual artifacts.")
  private ArtifactsStatus artifacts;

  public String getOutputLocation() {
    return outputLocation;
  }

  public void setOutputLocation(String outputLocation) {
    this.outputLocation = outputLocation;
  }

  public Integer getSyntheticImages() {
    return syntheticImages;
  }

  public void setSyntheticImages(Integer syntheticImages) {
    this.syntheticImages = syntheticImages;
  }

  public Long getRealSamplesKept() {
    return realSamplesKept;
  }

  public void setRealSamplesKept(Long realSamplesKept) {
    this.realSamplesKept = realSamplesKept;
  }

  public AccuracyResult getAccuracy() {
    return accuracy;
  }

  public void setAccuracy(AccuracyResult accuracy) {
    this.accuracy = accuracy;
  }

  public Map<String, AccuracySummary> getBaselines() {
    return baselines;
  }

  public void setBaselines(Map<String, AccuracySummary> baselines) {
    this.baselines = baselines;
  }

  public ArtifactsStatus getArtifacts() {
    return artifacts;
  }

  public void setArtifacts(ArtifactsStatus artifacts) {
    this.artifacts = artifacts;
  }
}
