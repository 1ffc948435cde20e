package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** The pilot distillations of {@code mode: auto}. */
public class AutoSelectionSpec {

  @Min(value = 0, inclusive = false)
  @Max(1)
  @JsonPropertyDescription(
      "Time the pilots may take, as a fraction of the distill stage's estimated time, in (0, 1].")
  private Double budget = 0.2;

  @Min(1)
  @JsonPropertyDescription(
      "Iterations of every pilot. When set, all pilots run, each this long, and budget is not used: the choice then does not depend on the node's speed. When unset, budget sizes the pilots.")
  private Integer pilotIterations;

  public Double getBudget() {
    return budget;
  }

  public void setBudget(Double budget) {
    this.budget = budget;
  }

  public Integer getPilotIterations() {
    return pilotIterations;
  }

  public void setPilotIterations(Integer pilotIterations) {
    this.pilotIterations = pilotIterations;
  }
}
