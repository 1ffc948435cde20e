package dev.goldpan.worker.data;

import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.StorageException;
import java.nio.file.Path;

/** Opens data sets of one on-disk format. */
public interface DatasetReader {

  /**
   * Opens the data set at {@code root} (a directory, or a file where the format allows one): checks
   * its layout and reads every sample's label; formats that cannot be read in parts read it whole.
   *
   * @throws InvalidInputException if a file is missing or malformed; the message names it
   * @throws StorageException if a file cannot be read
   */
  Dataset open(Path root);

  /** Reads the whole data set at {@code root} into memory. */
  default LabeledDataset read(Path root) {
    Dataset dataset = open(root);
    if (dataset instanceof LabeledDataset loaded) {
      return loaded;
    }
    return new LabeledDataset(
        dataset.read(Split.TRAIN, SampleFilter.ALL),
        dataset.read(Split.TEST, SampleFilter.ALL),
        dataset.classNames(),
        dataset.files());
  }
}
