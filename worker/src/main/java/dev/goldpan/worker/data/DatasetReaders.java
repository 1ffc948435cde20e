package dev.goldpan.worker.data;

import dev.goldpan.api.v1alpha1.DatasetFormat;
import dev.goldpan.worker.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The reader for each {@link DatasetFormat}. */
public final class DatasetReaders {

  private DatasetReaders() {}

  /** The reader of data sets in {@code format}. */
  public static DatasetReader forFormat(DatasetFormat format) {
    return switch (format) {
      case IDX -> new IdxReader();
      case CIFAR_BINARY -> new CifarBinaryReader();
      case IMAGE_FOLDER -> new ImageFolderReader();
      case NPZ -> new NpzReader();
      case TAR_SHARDS -> new TarShardsReader();
    };
  }

  /** Fails with a message naming {@code directory} unless it is an existing directory. */
  static void requireDirectory(Path directory, DatasetFormat format) {
    if (!Files.isDirectory(directory)) {
      throw new InvalidInputException(
          "data set directory "
              + directory
              + (Files.exists(directory) ? " is not a directory" : " does not exist")
              + " (format "
              + format
              + ")");
    }
  }
}
