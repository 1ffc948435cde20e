package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** Level-2 selection by each sample's individual treatment effect on the distillation gradient. */
public class CausalSelectionSpec {

  @JsonPropertyDescription("Re-select the active real samples during distillation.")
  private Boolean enabled = false;

  @Min(value = 0, inclusive = false)
  @Max(1)
  @JsonPropertyDescription("Fraction of the statically kept pool that stays active, in (0, 1].")
  private Double keepRatio = 0.5;

  @Min(1)
  @JsonPropertyDescription("Iterations between re-estimations of the causal effects.")
  private Integer refreshInterval = 100;

  @JsonPropertyDescription(
      "Keep the most-contributing samples, or the middle (both tails trimmed).")
  private CausalKeep keep = CausalKeep.MOST_CONTRIBUTING;

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public Double getKeepRatio() {
    return keepRatio;
  }

  public void setKeepRatio(Double keepRatio) {
    this.keepRatio = keepRatio;
  }

  public Integer getRefreshInterval() {
    return refreshInterval;
  }

  public void setRefreshInterval(Integer refreshInterval) {
    this.refreshInterval = refreshInterval;
  }

  public CausalKeep getKeep() {
    return keep;
  }

  public void setKeep(CausalKeep keep) {
    this.keep = keep;
  }
}
