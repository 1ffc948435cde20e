package dev.goldpan.worker.data;

import java.nio.file.Path;
import java.util.List;

/**
 * A data set opened for reading: its class names (index = label), image shape, every sample's
 * label, and its images, read on demand for the samples a {@link SampleFilter} accepts. Opening
 * reads what the labels need; the images are read (again) on each {@link #read}, so memory holds
 * only what a stage asks for.
 */
public interface Dataset {

  List<String> classNames();

  /** The files the data set is read from, for the manifest's digest. */
  List<Path> files();

  int channels();

  int height();

  int width();

  /** The label of every sample of {@code split}, by index. */
  int[] labels(Split split);

  /**
   * The images of {@code split} that {@code filter} accepts: a set of every sample of the split
   * that holds exactly those images, stored as read (uint8 unless the format stores floats), not
   * normalised.
   *
   * @throws dev.goldpan.worker.InvalidInputException if a file is malformed; the message names it
   * @throws dev.goldpan.worker.StorageException if a file cannot be read
   */
  ImageSet read(Split split, SampleFilter filter);

  default int classes() {
    return classNames().size();
  }

  /** Number of samples of {@code split}. */
  default int size(Split split) {
    return labels(split).length;
  }
}
