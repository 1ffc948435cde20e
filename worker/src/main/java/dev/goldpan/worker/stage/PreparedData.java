package dev.goldpan.worker.stage;

import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.data.LabeledDataset;
import dev.goldpan.worker.data.Normalization;

/**
 * A data set ready for the pipeline: its normalised train and test splits, the normalisation that
 * produced them, and the digest of the files it came from.
 */
public record PreparedData(
    LabeledDataset raw, Normalization normalization, ImageSet train, ImageSet test, String digest) {

  public int classes() {
    return raw.classes();
  }
}
