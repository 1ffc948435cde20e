package dev.goldpan.worker.data;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Images with their labels, in NCHW order, row-major. A set holds its images either as uint8 bytes
 * (a data set as read: a value {@code x} stands for {@code x / 255}) or as float values (a
 * synthetic set), and may carry a {@link Normalization} that is applied when values are read:
 * {@link #copyValues} and {@link #pixels} give {@code (x / 255 - mean) / std} for bytes. Reading a
 * byte set gives exactly the floats that normalising a float copy of it would give, so the data
 * stays uint8 until a batch is made.
 *
 * <p>A set may hold the images of only some of its samples (those a {@link SampleFilter} accepted
 * when it was read): it still has every sample's label and answers by the sample's index in the
 * whole split, and asking for an image it does not hold fails.
 */
public final class ImageSet {

  private static final float[] UNIT_VALUES = new float[256];

  static {
    for (int value = 0; value < UNIT_VALUES.length; value++) {
      UNIT_VALUES[value] = value / 255f;
    }
  }

  private final byte[] bytes;
  private final float[] floats;
  private final int[] labels;
  private final int[] held;
  private final Normalization normalization;
  private final int channels;
  private final int height;
  private final int width;
  private float[][] lookup;

  /** A set of float values, used as they are (no normalisation), one image per label. */
  public ImageSet(float[] pixels, int[] labels, int channels, int height, int width) {
    this(null, pixels, labels, null, null, channels, height, width);
  }

  private ImageSet(
      byte[] bytes,
      float[] floats,
      int[] labels,
      int[] held,
      Normalization normalization,
      int channels,
      int height,
      int width) {
    int stored = bytes != null ? bytes.length : floats.length;
    long expected = (long) (held == null ? labels.length : held.length) * channels * height * width;
    if (stored != expected) {
      throw new IllegalArgumentException(
          "pixels hold "
              + stored
              + " values, "
              + (held == null ? labels.length : held.length)
              + " images need "
              + expected);
    }
    if (normalization != null && normalization.mean().length != channels) {
      throw new IllegalArgumentException(
          "a normalisation of " + normalization.mean().length + " channels for " + channels);
    }
    this.bytes = bytes;
    this.floats = floats;
    this.labels = labels;
    this.held = held;
    this.normalization = normalization;
    this.channels = channels;
    this.height = height;
    this.width = width;
  }

  /** A set of uint8 pixels (0..255 stored as signed bytes), one image per label. */
  public static ImageSet ofBytes(byte[] pixels, int[] labels, int channels, int height, int width) {
    return new ImageSet(pixels, null, labels, null, null, channels, height, width);
  }

  /**
   * A set of {@code labels.length} samples of which only those at {@code held} (ascending) have
   * their uint8 images in {@code pixels}, in that order.
   */
  static ImageSet ofHeldBytes(
      byte[] pixels, int[] labels, int[] held, int channels, int height, int width) {
    for (int i = 1; i < held.length; i++) {
      if (held[i] <= held[i - 1]) {
        throw new IllegalArgumentException("held indices must ascend");
      }
    }
    boolean all = held.length == labels.length;
    return new ImageSet(pixels, null, labels, all ? null : held, null, channels, height, width);
  }

  /** This set with {@code normalization} applied when values are read (replacing any other). */
  public ImageSet normalised(Normalization normalization) {
    return new ImageSet(bytes, floats, labels, held, normalization, channels, height, width);
  }

  /** Number of samples (also those whose images this set does not hold). */
  public int size() {
    return labels.length;
  }

  public int[] labels() {
    return labels;
  }

  public int channels() {
    return channels;
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  /** Values per image: channels x height x width. */
  public int imageSize() {
    return channels * height * width;
  }

  /** The normalisation applied when values are read, or null for none. */
  public Normalization normalization() {
    return normalization;
  }

  /** Whether the images are stored as uint8 ({@link #bytes}) rather than float values. */
  public boolean storesBytes() {
    return bytes != null;
  }

  /**
   * The stored uint8 pixels, not normalised and not copied: image {@code i} occupies {@code
   * imageSize()} bytes from {@code row(i) * imageSize()}. For uploading a set once and normalising
   * batches where they are used.
   *
   * @throws IllegalStateException if the set stores float values
   */
  public byte[] bytes() {
    if (bytes == null) {
      throw new IllegalStateException("this image set stores float values, not bytes");
    }
    return bytes;
  }

  /** Whether this set holds the image of sample {@code index}. */
  public boolean holds(int index) {
    return held == null
        ? index >= 0 && index < labels.length
        : Arrays.binarySearch(held, index) >= 0;
  }

  /** Number of samples whose images this set holds. */
  public int heldCount() {
    return held == null ? labels.length : held.length;
  }

  /**
   * Where the image of sample {@code index} is stored: its row in {@link #bytes} (or in the float
   * values).
   *
   * @throws IllegalArgumentException if this set does not hold that image
   */
  public int row(int index) {
    int row = held == null ? index : Arrays.binarySearch(held, index);
    if (row < 0 || row >= heldCount() || index < 0 || index >= labels.length) {
      throw new IllegalArgumentException(
          "image " + index + " is not held by this set of " + labels.length + " samples");
    }
    return row;
  }

  /** Writes the values of image {@code index}, as batches see them, to {@code target}. */
  public void copyValues(int index, float[] target, int offset) {
    int size = imageSize();
    int from = row(index) * size;
    if (bytes != null) {
      float[][] table = lookup();
      int plane = height * width;
      for (int c = 0; c < channels; c++) {
        float[] values = table[c];
        int source = from + c * plane;
        int destination = offset + c * plane;
        for (int p = 0; p < plane; p++) {
          target[destination + p] = values[bytes[source + p] & 0xFF];
        }
      }
    } else if (normalization == null) {
      System.arraycopy(floats, from, target, offset, size);
    } else {
      normalization.apply(floats, from, target, offset, channels, height * width);
    }
  }

  /** The values of the images at {@code indices[from, to)}, as one NCHW array. */
  public float[] values(int[] indices, int from, int to) {
    int size = imageSize();
    float[] values = new float[(to - from) * size];
    for (int i = from; i < to; i++) {
      copyValues(indices[i], values, (i - from) * size);
    }
    return values;
  }

  /**
   * Every image's values as batches see them. A set of float values without normalisation returns
   * its own array; any other set a new one.
   *
   * @throws IllegalArgumentException if this set does not hold every image
   */
  public float[] pixels() {
    if (bytes == null && normalization == null && held == null) {
      return floats;
    }
    return values(IntStream.range(0, labels.length).toArray(), 0, labels.length);
  }

  /** The unit value ({@code x / 255} for bytes, the stored float otherwise) of a held value. */
  float unitValue(int row, int offset) {
    int position = row * imageSize() + offset;
    return bytes != null ? UNIT_VALUES[bytes[position] & 0xFF] : floats[position];
  }

  /** Per channel, the value each byte reads as: the same float arithmetic as on a float copy. */
  private float[][] lookup() {
    if (lookup == null) {
      float[][] table = new float[channels][256];
      for (int c = 0; c < channels; c++) {
        for (int value = 0; value < 256; value++) {
          table[c][value] =
              normalization == null
                  ? UNIT_VALUES[value]
                  : (UNIT_VALUES[value] - normalization.mean()[c]) / normalization.std()[c];
        }
      }
      lookup = table;
    }
    return lookup;
  }

  /** The images at {@code indices}, in that order, stored and normalised as this set is. */
  public ImageSet subset(int[] indices) {
    int imageSize = imageSize();
    int[] pickedLabels = new int[indices.length];
    byte[] pickedBytes = bytes == null ? null : new byte[indices.length * imageSize];
    float[] pickedFloats = floats == null ? null : new float[indices.length * imageSize];
    for (int i = 0; i < indices.length; i++) {
      int from = row(indices[i]) * imageSize;
      if (bytes != null) {
        System.arraycopy(bytes, from, pickedBytes, i * imageSize, imageSize);
      } else {
        System.arraycopy(floats, from, pickedFloats, i * imageSize, imageSize);
      }
      pickedLabels[i] = labels[indices[i]];
    }
    return new ImageSet(
        pickedBytes, pickedFloats, pickedLabels, null, normalization, channels, height, width);
  }

  /**
   * A set of the same samples that holds only the images {@code filter} accepts (those this set
   * holds; the others keep their label).
   */
  public ImageSet select(SampleFilter filter) {
    if (filter == SampleFilter.ALL) {
      return this;
    }
    int[] kept =
        IntStream.range(0, labels.length)
            .filter(i -> holds(i) && filter.accepts(i, labels[i]))
            .toArray();
    ImageSet picked = subset(kept);
    return new ImageSet(
        picked.bytes,
        picked.floats,
        labels,
        kept.length == labels.length ? null : kept,
        normalization,
        channels,
        height,
        width);
  }

  /**
   * The held images alone, in index order, as a set of just those samples (their labels); shares
   * the stored pixels.
   */
  public ImageSet compact() {
    if (held == null) {
      return this;
    }
    int[] heldLabels = new int[held.length];
    for (int i = 0; i < held.length; i++) {
      heldLabels[i] = labels[held[i]];
    }
    return new ImageSet(bytes, floats, heldLabels, null, normalization, channels, height, width);
  }

  /** The positions in {@code labels} that hold {@code label}, ascending. */
  public static int[] indicesOf(int[] labels, int label) {
    return IntStream.range(0, labels.length).filter(i -> labels[i] == label).toArray();
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
        && Arrays.equals(held, that.held)
        && Arrays.equals(bytes, that.bytes)
        && Arrays.equals(floats, that.floats)
        && java.util.Objects.equals(normalization, that.normalization);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(labels) + Arrays.hashCode(bytes) + Arrays.hashCode(floats);
  }

  @Override
  public String toString() {
    return "ImageSet["
        + size()
        + " x "
        + channels
        + "x"
        + height
        + "x"
        + width
        + (bytes != null ? ", uint8" : ", float")
        + (held != null ? ", " + held.length + " held" : "")
        + (normalization != null ? ", normalised" : "")
        + "]";
  }
}
