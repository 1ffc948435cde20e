package dev.goldpan.worker.data;

import java.util.Arrays;

/**
 * Images with their labels: {@code pixels} holds {@code size()} images in NCHW order, row-major,
 * each value in [0, 1] unless the set has been normalised.
 */
public record ImageSet(float[] pixels, int[] labels, int channels, int height, int width) {

  public ImageSet {
    long expected = (long) labels.length * channels * height * width;
    if (pixels.length != expected) {
      throw new IllegalArgumentException(
          "pixels hold "
              + pixels.length
              + " values, "
              + labels.length
              + " images need "
              + expected);
    }
  }

  public int size() {
    return labels.length;
  }

  /** Values per image: channels x height x width. */
  public int imageSize() {
    return channels * height * width;
  }

  /** The images at {@code indices}, in that order. */
  public ImageSet subset(int[] indices) {
    int imageSize = imageSize();
    float[] picked = new float[indices.length * imageSize];
    int[] pickedLabels = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      System.arraycopy(pixels, indices[i] * imageSize, picked, i * imageSize, imageSize);
      pickedLabels[i] = labels[indices[i]];
    }
    return new ImageSet(picked, pickedLabels, channels, height, width);
  }

  /** The positions in {@code labels} that hold {@code label}, ascending. */
  public static int[] indicesOf(int[] labels, int label) {
    return java.util.stream.IntStream.range(0, labels.length)
        .filter(i -> labels[i] == label)
        .toArray();
  }

  /** Number of images of each class, for classes 0 .. classes-1. */
  public int[] classCounts(int classes) {
    int[] counts = new int[classes];
    for (int label : labels) {
      counts[label]++;
    }
    return counts;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ImageSet that
        && channels == that.channels
        && height == that.height
        && width == that.width
        && Arrays.equals(labels, that.labels)
        && Arrays.equals(pixels, that.pixels);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(labels) + Arrays.hashCode(pixels);
  }

  @Override
  public String toString() {
    return "ImageSet[" + size() + " x " + channels + "x" + height + "x" + width + "]";
  }
}
