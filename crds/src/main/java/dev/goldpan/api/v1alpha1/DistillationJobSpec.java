package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** What a user asks for: the data, the pruning, the distillation and its evaluation. */
@ValidationRule(
    value =
        "!(self.distillation.algorithm in ['dc', 'dsa']) || self.model.architecture == 'convnet'",
    message = "distillation.algorithm dc and dsa require model.architecture convnet",
    fieldPath = ".model.architecture")
public class DistillationJobSpec {

  @Required
  @JsonPropertyDescription("The real training data to prune and distill.")
  private DatasetSpec dataset;

  @JsonPropertyDescription("The network used for scoring, distillation and evaluation.")
  private ModelSpec model = new ModelSpec();

  @JsonPropertyDescription(
      "Bi-level data pruning: static (before) and causal (during distillation).")
  private SelectionSpec selection = new SelectionSpec();

  @JsonPropertyDescription("How the synthetic set is distilled.")
  private DistillationSpec distillation = new DistillationSpec();

  @JsonPropertyDescription("How the synthetic set is evaluated.")
  private EvaluationSpec evaluation = new EvaluationSpec();

  @Required
  @JsonPropertyDescription("Where the artifacts are written.")
  private OutputSpec output;

  @JsonPropertyDescription("Compute resources of each worker pod.")
  private ResourcesSpec resources = new ResourcesSpec();

  @JsonPropertyDescription("Overrides for the worker container.")
  private WorkerSpec worker;

  @JsonPropertyDescription("Scheduling and metadata for the worker pods.")
  private WorkerPodTemplate podTemplate;

  @JsonPropertyDescription(
      "Suspend the running stage; its pods go away and a later resume continues from the last checkpoint. The only field that may change after creation.")
  private Boolean suspend = false;

  @Min(0)
  @Max(100)
  @JsonPropertyDescription("Retries per stage; a retry resumes from the last checkpoint.")
  private Integer backoffLimit = 3;

  @Min(1)
  @JsonPropertyDescription(
      "Fail the whole job with reason DeadlineExceeded after this many seconds.")
  private Long activeDeadlineSeconds;

  @Min(0)
  @JsonPropertyDescription("Delete the job this many seconds after it succeeded or failed.")
  private Integer ttlSecondsAfterFinished;

  @Min(0)
  @JsonPropertyDescription("Seed for every random choice; the same seed reproduces a run.")
  private Long seed = 0L;

  public DatasetSpec getDataset() {
    return dataset;
  }

  public void setDataset(DatasetSpec dataset) {
    this.dataset = dataset;
  }

  public ModelSpec getModel() {
    return model;
  }

  public void setModel(ModelSpec model) {
    this.model = model;
  }

  public SelectionSpec getSelection() {
    return selection;
  }

  public void setSelection(SelectionSpec selection) {
    this.selection = selection;
  }

  public DistillationSpec getDistillation() {
    return distillation;
  }

  public void setDistillation(DistillationSpec distillation) {
    this.distillation = distillation;
  }

  public EvaluationSpec getEvaluation() {
    return evaluation;
  }

  public void setEvaluation(EvaluationSpec evaluation) {
    this.evaluation = evaluation;
  }

  public OutputSpec getOutput() {
    return output;
  }

  public void setOutput(OutputSpec output) {
    this.output = output;
  }

  public ResourcesSpec getResources() {
    return resources;
  }

  public void setResources(ResourcesSpec resources) {
    this.resources = resources;
  }

  public WorkerSpec getWorker() {
    return worker;
  }

  public void setWorker(WorkerSpec worker) {
    this.worker = worker;
  }

  public WorkerPodTemplate getPodTemplate() {
    return podTemplate;
  }

  public void setPodTemplate(WorkerPodTemplate podTemplate) {
    this.podTemplate = podTemplate;
  }

  public Boolean getSuspend() {
    return suspend;
  }

  public void setSuspend(Boolean suspend) {
    this.suspend = suspend;
  }

  public Integer getBackoffLimit() {
    return backoffLimit;
  }

  public void setBackoffLimit(Integer backoffLimit) {
    this.backoffLimit = backoffLimit;
  }

  public Long getActiveDeadlineSeconds() {
    return activeDeadlineSeconds;
  }

  public void setActiveDeadlineSeconds(Long activeDeadlineSeconds) {
    this.activeDeadlineSeconds = activeDeadlineSeconds;
  }

  public Integer getTtlSecondsAfterFinished() {
    return ttlSecondsAfterFinished;
  }

  public void setTtlSecondsAfterFinished(Integer ttlSecondsAfterFinished) {
    this.ttlSecondsAfterFinished = ttlSecondsAfterFinished;
  }

  public Long getSeed() {
    return seed;
  }

  public void setSeed(Long seed) {
    this.seed = seed;
  }
}
