package dev.goldpan.worker.data;

import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.StorageException;
import java.nio.file.Path;

/** Reads a data set of one on-disk format into memory. */
public interface DatasetReader {

  /**
   * Reads the data set at {@code root} (a directory, or a file where the format allows one).
   *
   * @throws InvalidInputException if a file is missing or malformed; the message names it
   * @throws StorageException if a file cannot be read
   */
  LabeledDataset read(Path root);
}
