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
  @JsonPropertyDescription(
      "Iterations between re-estimations of the causal effects. A refresh of 3,000 candidates per class under 2 networks costs about 28 DM iterations (bench/causal-cost.sh), so the default 250 adds about 11% to the distill stage.")
  private Integer refreshInterval = 250;

  @JsonPropertyDescription(
      "Keep the middle of the effect ranking (both tails trimmed, the large effects being outliers) or the most-contributing samples.")
  private CausalKeep keep = CausalKeep.MIDDLE;

  @Min(1)
  @Max(16)
  @JsonPropertyDescription(
      "Random networks per refresh; each sample's effect is averaged over them, under the distillation's augmentation.")
  private Integer networks = 2;

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

  public Integer getNetworks() {
    return networks;
  }

  public void setNetworks(Integer networks) {
    this.networks = networks;
  }
}
