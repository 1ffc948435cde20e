package dev.goldpan.worker.data;

import dev.goldpan.api.v1alpha1.DatasetFormat;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.StorageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the CIFAR-10 binary version: {@code data_batch_1.bin} .. {@code data_batch_5.bin} (those
 * present, at least one) for training and {@value #TEST_BATCH} for testing. Each record is one
 * label byte and a 32x32 colour image as three 1024-byte planes (red, green, blue), which is
 * already the CHW layout. Class names come from {@value #META}, one per line, when it is there;
 * otherwise the ten classes are named by their label.
 *
 * <p>The root is the directory holding the batches or, as the CIFAR tarball unpacks, its parent
 * with a {@value #EXTRACTED_DIRECTORY} sub-directory.
 */
public final class CifarBinaryReader implements DatasetReader {

  static final int CHANNELS = 3;
  static final int SIDE = 32;
  static final int IMAGE_BYTES = CHANNELS * SIDE * SIDE;
  static final int RECORD_BYTES = 1 + IMAGE_BYTES;
  static final int TRAIN_BATCHES = 5;
  static final String TEST_BATCH = "test_batch.bin";
  static final String META = "batches.meta.txt";
  static final String EXTRACTED_DIRECTORY = "cifar-10-batches-bin";

  private static final int DEFAULT_CLASSES = 10;

  @Override
  public LabeledDataset open(Path root) {
    DatasetReaders.requireDirectory(root, DatasetFormat.CIFAR_BINARY);
    Path directory = batchDirectory(root);
    List<Path> trainFiles = new ArrayList<>();
    for (int batch = 1; batch <= TRAIN_BATCHES; batch++) {
      Path file = directory.resolve(trainBatch(batch));
      if (Files.isRegularFile(file)) {
        trainFiles.add(file);
      }
    }
    if (trainFiles.isEmpty()) {
      throw new InvalidInputException(
          "CIFAR-10 data set "
              + directory
              + " has no training batch; expected "
              + trainBatch(1)
              + " .. "
              + trainBatch(TRAIN_BATCHES)
              + " (at least one) and "
              + TEST_BATCH);
    }
    Path testFile = directory.resolve(TEST_BATCH);
    if (!Files.isRegularFile(testFile)) {
      throw new InvalidInputException(
          "CIFAR-10 data set " + directory + " has no " + TEST_BATCH + " (the test batch)");
    }
    Path meta = directory.resolve(META);
    boolean named = Files.isRegularFile(meta);
    List<String> classNames = named ? readClassNames(meta) : ClassLabels.numbered(DEFAULT_CLASSES);
    String labelLimit =
        named
            ? META + " names " + classNames.size() + " classes"
            : "CIFAR-10 labels are 0.." + (DEFAULT_CLASSES - 1) + " unless " + META + " names more";

    ImageSet train = readBatches(trainFiles, classNames.size(), labelLimit);
    ImageSet test = readBatches(List.of(testFile), classNames.size(), labelLimit);
    List<Path> files = new ArrayList<>(trainFiles);
    files.add(testFile);
    if (named) {
      files.add(meta);
    }
    return new LabeledDataset(train, test, classNames, files);
  }

  private static String trainBatch(int batch) {
    return "data_batch_" + batch + ".bin";
  }

  private static Path batchDirectory(Path root) {
    Path extracted = root.resolve(EXTRACTED_DIRECTORY);
    return !Files.exists(root.resolve(TEST_BATCH)) && Files.isDirectory(extracted)
        ? extracted
        : root;
  }

  private static List<String> readClassNames(Path meta) {
    List<String> names = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(meta, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          names.add(line.strip());
        }
      }
    } catch (IOException e) {
      throw new StorageException("cannot read " + meta + ": " + e, e);
    }
    if (names.isEmpty()) {
      throw new InvalidInputException(meta + " names no classes; expected one class per line");
    }
    return names;
  }

  private static ImageSet readBatches(List<Path> files, int classes, String labelLimit) {
    long records = 0;
    for (Path file : files) {
      long size = size(file);
      if (size == 0 || size % RECORD_BYTES != 0) {
        throw new InvalidInputException(
            file
                + " holds "
                + size
                + " bytes, not a whole, non-zero number of "
                + RECORD_BYTES
                + "-byte records (1 label byte + 3x32x32 pixels); it is truncated or not a CIFAR-10"
                + " binary batch");
      }
      records += size / RECORD_BYTES;
    }
    if (records * IMAGE_BYTES > Integer.MAX_VALUE - 8) {
      throw new InvalidInputException(
          "the CIFAR-10 batches " + files + " hold too many images (" + records + ")");
    }
    byte[] pixels = new byte[(int) records * IMAGE_BYTES];
    int[] labels = new int[(int) records];
    int image = 0;
    for (Path file : files) {
      byte[] bytes = readAll(file);
      for (int offset = 0; offset < bytes.length; offset += RECORD_BYTES, image++) {
        int label = bytes[offset] & 0xFF;
        if (label >= classes) {
          throw new InvalidInputException(
              file
                  + " record "
                  + offset / RECORD_BYTES
                  + " has label "
                  + label
                  + "; "
                  + labelLimit);
        }
        labels[image] = label;
        System.arraycopy(bytes, offset + 1, pixels, image * IMAGE_BYTES, IMAGE_BYTES);
      }
    }
    return ImageSet.ofBytes(pixels, labels, CHANNELS, SIDE, SIDE);
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new StorageException("cannot read " + file + ": " + e, e);
    }
  }

  private static byte[] readAll(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new StorageException("cannot read " + file + ": " + e, e);
    }
  }
}
