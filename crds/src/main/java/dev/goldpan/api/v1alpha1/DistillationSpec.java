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
  @JsonPropertyDescription(
      "Outer iterations; when unset, the reference's for the algorithm: 20000 for dm, 1000 for dc and dsa.")
  private Integer iterations;

  @Min(value = 0, inclusive = false)
  @JsonPropertyDescription(
      "SGD learning rate of the synthetic images (momentum 0.5); when unset, 1.0 for dm and 0.1 for dc and dsa, as in the reference.")
  private Double learningRate;

  @Min(1)
  @JsonPropertyDescription("Real samples per class per iteration.")
  private Integer batchReal = 256;

  @JsonPropertyDescription(
      "Differentiable siamese augmentation applied alike to real and synthetic batches, and when training the evaluation networks, or none; when unset, none for dc and dsa for dm and dsa.")
  private Augmentation augmentation;

  @JsonPropertyDescription(
      "Initialise the synthetic images from random real samples of each class (drawn before pruning, so every selection setting with the same seed starts alike) or from noise; when unset, noise for dc and real for dsa and dm, as in the reference.")
  private SyntheticInit init;

  @JsonPropertyDescription(
      "Number format of dm's real-data embeddings, the targets that the synthetic images are matched to (no gradient flows through them): bfloat16 computes them on the CPU's matrix units (AMX) or bfloat16 dot products (AVX512-BF16) or a GPU's tensor cores, float32 as the reference does; auto picks bfloat16 where it is the faster (AMX, AVX512-BF16 on AMD CPUs, or tensor cores from compute capability 8.0) and float32 elsewhere. The synthetic images' embeddings and gradients are float32 in every case; dc and dsa compute in float32.")
  private EmbeddingPrecision realEmbeddingPrecision = EmbeddingPrecision.AUTO;

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

  public EmbeddingPrecision getRealEmbeddingPrecision() {
    return realEmbeddingPrecision;
  }

  public void setRealEmbeddingPrecision(EmbeddingPrecision realEmbeddingPrecision) {
    this.realEmbeddingPrecision = realEmbeddingPrecision;
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
