package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** The distillation of the synthetic set. */
public class DistillationSpec {

  @JsonPropertyDescription(
      "dm (distribution matching), dc (gradient matching) or dsa (gradient matching with DSA).")
  private Algorithm algorithm = Algorithm.DM;

  @Min(1)
  @Max(1000)
  @JsonPropertyDescription("Synthetic images per class.")
  private Integer imagesPerClass = 10;

  @Min(1)
  @JsonPropertyDescription("Outer iterations.")
  private Integer iterations = 20000;

  @Min(value = 0, inclusive = false)
  @JsonPropertyDescription("SGD learning rate of the synthetic images (momentum 0.5).")
  private Double learningRate = 1.0;

  @Min(1)
  @JsonPropertyDescription("Real samples per class per iteration.")
  private Integer batchReal = 256;

  @JsonPropertyDescription(
      "Differentiable siamese augmentation applied alike to real and synthetic batches, or none.")
  private Augmentation augmentation = Augmentation.DSA;

  @JsonPropertyDescription(
      "Initialise the synthetic images from random kept real samples or from noise.")
  private SyntheticInit init = SyntheticInit.REAL;

  @Min(1)
  @Max(1000)
  @JsonPropertyDescription("Class shards distilled by separate pods.")
  private Integer parallelism = 1;

  @Min(1)
  @JsonPropertyDescription("Iterations between checkpoints.")
  private Integer checkpointInterval = 500;

  public Algorithm getAlgorithm() {
    return algorithm;
  }

  public void setAlgorithm(Algorithm algorithm) {
    this.algorithm = algorithm;
  }

  public Integer getImagesPerClass() {
    return imagesPerClass;
  }

  public void setImagesPerClass(Integer imagesPerClass) {
    this.imagesPerClass = imagesPerClass;
  }

  public Integer getIterations() {
    return iterations;
  }

  public void setIterations(Integer iterations) {
    this.iterations = iterations;
  }

  public Double getLearningRate() {
    return learningRate;
  }

  public void setLearningRate(Double learningRate) {
    this.learningRate = learningRate;
  }

  public Integer getBatchReal() {
    return batchReal;
  }

  public void setBatchReal(Integer batchReal) {
    this.batchReal = batchReal;
  }

  public Augmentation getAugmentation() {
    return augmentation;
  }

  public void setAugmentation(Augmentation augmentation) {
    this.augmentation = augmentation;
  }

  public SyntheticInit getInit() {
    return init;
  }

  public void setInit(SyntheticInit init) {
    this.init = init;
  }

  public Integer getParallelism() {
    return parallelism;
  }

  public void setParallelism(Integer parallelism) {
    this.parallelism = parallelism;
  }

  public Integer getCheckpointInterval() {
    return checkpointInterval;
  }

  public void setCheckpointInterval(Integer checkpointInterval) {
    this.checkpointInterval = checkpointInterval;
  }
}
