package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Locations of the artifacts. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ArtifactsStatus {

  @JsonPropertyDescription("synthetic.npz: images, labels, mean and std.")
  private String synthetic;

  @JsonPropertyDescription("synthetic.png: one row per class.")
  private String preview;

  @JsonPropertyDescription("report.html.")
  private String report;

  @JsonPropertyDescription("scores.npy: level-1 scores.")
  private String scores;

  @JsonPropertyDescription("selection.json: kept indices.")
  private String selection;

  public String getSynthetic() {
    return synthetic;
  }

  public void setSynthetic(String synthetic) {
    this.synthetic = synthetic;
  }

  public String getPreview() {
    return preview;
  }

  public void setPreview(String preview) {
    this.preview = preview;
  }

  public String getReport() {
    return report;
  }

  public void setReport(String report) {
    this.report = report;
  }

  public String getScores() {
    return scores;
  }

  public void setScores(String scores) {
    this.scores = scores;
  }

  public String getSelection() {
    return selection;
  }

  public void setSelection(String selection) {
    this.selection = selection;
  }
}
