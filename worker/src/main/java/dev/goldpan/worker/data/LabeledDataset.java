package dev.goldpan.worker.data;

import java.nio.file.Path;
import java.util.List;

/**
 * A data set as read whole from disk: its train and test splits, the class names (index = label)
 * and the files it was read from (for the manifest's digest). Formats that cannot be read in parts
 * (npz, image folders, CIFAR batches) are opened this way.
 */
public record LabeledDataset(
    ImageSet train, ImageSet test, List<String> classNames, List<Path> files) implements Dataset {

  public LabeledDataset {
    if (train.imageSize() != test.imageSize()) {
      throw new IllegalArgumentException("train and test images differ in shape");
    }
    classNames = List.copyOf(classNames);
    files = List.copyOf(files);
  }

  @Override
  public int channels() {
    return train.channels();
  }

  @Override
  public int height() {
    return train.height();
  }

  @Override
  public int width() {
    return train.width();
  }

  @Override
  public int[] labels(Split split) {
    return (split == Split.TRAIN ? train : test).labels();
  }

  @Override
  public ImageSet read(Split split, SampleFilter filter) {
    return (split == Split.TRAIN ? train : test).select(filter);
  }
}
