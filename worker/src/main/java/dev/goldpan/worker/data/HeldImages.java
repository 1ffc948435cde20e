package dev.goldpan.worker.data;

import java.util.stream.IntStream;

/**
 * Collects the uint8 images a filter accepts while a reader goes through a split in index order:
 * the memory is that of the accepted images alone.
 */
final class HeldImages {

  private final int[] labels;
  private final int[] held;
  private final int imageSize;
  private final byte[] pixels;
  private int next;

  HeldImages(int[] labels, SampleFilter filter, int imageSize) {
    this.labels = labels;
    this.held =
        IntStream.range(0, labels.length).filter(i -> filter.accepts(i, labels[i])).toArray();
    this.imageSize = imageSize;
    this.pixels = new byte[Math.multiplyExact(held.length, imageSize)];
  }

  /** Whether the image of sample {@code index} is wanted (indices must be asked in order). */
  boolean wants(int index) {
    while (next < held.length && held[next] < index) {
      next++;
    }
    return next < held.length && held[next] == index;
  }

  /** Whether an image with an index at or after {@code index} is still wanted. */
  boolean wantsFrom(int index) {
    return held.length > 0 && held[held.length - 1] >= index;
  }

  /** Where the wanted image {@link #wants} just confirmed goes in {@link #pixels()}. */
  int offset() {
    return next * imageSize;
  }

  byte[] pixels() {
    return pixels;
  }

  ImageSet build(int channels, int height, int width) {
    return ImageSet.ofHeldBytes(pixels, labels, held, channels, height, width);
  }
}
