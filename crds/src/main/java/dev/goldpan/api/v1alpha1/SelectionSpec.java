package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Bi-level pruning of the real data. */
public class SelectionSpec {

  @JsonPropertyDescription(
      "manual (the static and causal settings below), auto (short pilot distillations on a subsample choose the static keep ratio and criterion and the causal rule), or none (no pruning).")
  private SelectionMode mode = SelectionMode.MANUAL;

  @JsonPropertyDescription("The pilots of mode auto.")
  private AutoSelectionSpec auto = new AutoSelectionSpec();

  @JsonPropertyDescription("Level 1: prune once, before distillation, by a per-sample score.")
  @JsonProperty("static")
  private StaticSelectionSpec staticSelection = new StaticSelectionSpec();

  @JsonPropertyDescription(
      "Level 2: re-select real samples during distillation by their causal effect on the synthetic set.")
  private CausalSelectionSpec causal = new CausalSelectionSpec();

  @JsonProperty("static")
  public StaticSelectionSpec getStaticSelection() {
    return staticSelection;
  }

  @JsonProperty("static")
  public void setStaticSelection(StaticSelectionSpec staticSelection) {
    this.staticSelection = staticSelection;
  }

  public CausalSelectionSpec getCausal() {
    return causal;
  }

  public void setCausal(CausalSelectionSpec causal) {
    this.causal = causal;
  }

  public SelectionMode getMode() {
    return mode;
  }

  public void setMode(SelectionMode mode) {
    this.mode = mode;
  }

  public AutoSelectionSpec getAuto() {
    return auto;
  }

  public void setAuto(AutoSelectionSpec auto) {
    this.auto = auto;
  }
}
