package dev.goldpan.worker.data;

import java.util.List;

/**
 * A data set as read from disk: its train and test splits, the class names (index = label) and the
 * files it was read from (for the manifest's digest).
 */
public record LabeledDataset(
    ImageSet train, ImageSet test, List<String> classNames, List<java.nio.file.Path> files) {

  public LabeledDataset {
    if (train.imageSize() != test.imageSize()) {
      throw new IllegalArgumentException("train and test images differ in shape");
    }
    classNames = List.copyOf(classNames);
    files = List.copyOf(files);
  }

  public int classes() {
    return classNames.size();
  }
}
