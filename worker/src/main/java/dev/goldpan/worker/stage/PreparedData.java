package dev.goldpan.worker.stage;

import dev.goldpan.worker.data.Dataset;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.data.Normalization;
import dev.goldpan.worker.data.SampleFilter;
import dev.goldpan.worker.data.Split;

/**
 * The data set as the pipeline reads it: opened (every label known), with the normalisation its
 * images are read with and the digest of the files it came from. Images are read when a stage asks
 * for them, normalised as batches are made: a whole split, the samples a filter accepts (a distill
 * shard's classes), or chunk by chunk, so that memory does not grow with the data set beyond its
 * labels.
 */
public final class PreparedData {

  /** Bytes of uint8 images in one chunk: Fashion-MNIST's and CIFAR-10's splits fit in one. */
  static final long CHUNK_BYTES = 192L << 20;

  private final Dataset dataset;
  private final Normalization normalization;
  private final String digest;
  private ImageSet wholeTrain;
  private ImageSet wholeTest;

  public PreparedData(Dataset dataset, Normalization normalization, String digest) {
    this.dataset = dataset;
    this.normalization = normalization;
    this.digest = digest;
  }

  public Dataset dataset() {
    return dataset;
  }

  public Normalization normalization() {
    return normalization;
  }

  public String digest() {
    return digest;
  }

  public int classes() {
    return dataset.classes();
  }

  /** Every train sample's label, by index. */
  public int[] trainLabels() {
    return dataset.labels(Split.TRAIN);
  }

  public int size(Split split) {
    return dataset.size(split);
  }

  /** The normalised train images {@code filter} accepts (a set of every sample, holding those). */
  public ImageSet train(SampleFilter filter) {
    return dataset.read(Split.TRAIN, filter).normalised(normalization);
  }

  /** The whole normalised train split, read once; for stages that need all of it at once. */
  public ImageSet train() {
    if (wholeTrain == null) {
      wholeTrain = train(SampleFilter.ALL);
    }
    return wholeTrain;
  }

  /** Images per chunk: as many as fit in {@link #CHUNK_BYTES}. */
  public int chunkImages() {
    long imageBytes = (long) dataset.channels() * dataset.height() * dataset.width();
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, CHUNK_BYTES / imageBytes));
  }

  /** Receives one chunk of a split: the index of its first sample and its normalised images. */
  @FunctionalInterface
  public interface ChunkConsumer {
    void accept(int from, ImageSet chunk);
  }

  /**
   * Reads {@code split} in order, chunk by chunk ({@link #chunkImages} samples each, the chunk's
   * samples alone). A split that fits in one chunk is read once and kept.
   */
  public void forEachChunk(Split split, ChunkConsumer consumer) {
    int size = dataset.size(split);
    int chunk = chunkImages();
    if (size <= chunk) {
      consumer.accept(0, whole(split));
      return;
    }
    for (int from = 0; from < size; from += chunk) {
      consumer.accept(from, chunk(split, from, Math.min(size, from + chunk)));
    }
  }

  /** The normalised samples {@code [from, to)} of {@code split}, as a set of those alone. */
  public ImageSet chunk(Split split, int from, int to) {
    if (from == 0 && to == dataset.size(split) && to <= chunkImages()) {
      return whole(split);
    }
    return dataset.read(split, SampleFilter.range(from, to)).compact().normalised(normalization);
  }

  private ImageSet whole(Split split) {
    if (split == Split.TRAIN) {
      return train();
    }
    if (wholeTest == null) {
      wholeTest = dataset.read(Split.TEST, SampleFilter.ALL).normalised(normalization);
    }
    return wholeTest;
  }
}
