package dev.goldpan.worker.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.data.Normalization;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * The real training images on the device, uploaded once per stage, from which batches are gathered
 * on the device by index and normalised there per channel. A set stored as uint8 (what every reader
 * produces) stays uint8 on the device and comes out as {@code (x / 255 - mean) / std} with the
 * set's own normalisation: the float operations that {@link ImageSet#copyValues} does on the host,
 * so a batch equals the host's bit for bit. A set of float values is uploaded as batches see it.
 * Indices are the samples' indices in the whole split; a set that holds only some images (a distill
 * shard's) is indexed the same way.
 */
public final class DevicePool implements AutoCloseable {

  private final ImageSet set;
  private final NDArray pixels;
  private final boolean levels;
  private final NDArray mean;
  private final NDArray std;
  private final int channels;
  private final int height;
  private final int width;

  private DevicePool(NDManager manager, ImageSet set) {
    this.set = set;
    this.channels = set.channels();
    this.height = set.height();
    this.width = set.width();
    Shape shape = new Shape(set.heldCount(), channels, height, width);
    this.levels = set.storesBytes();
    float[] meanValues = new float[channels];
    float[] stdValues = new float[channels];
    java.util.Arrays.fill(stdValues, 1f);
    if (levels) {
      pixels = manager.create(ByteBuffer.wrap(set.bytes()), shape, DataType.UINT8);
      if (set.normalization() != null) {
        meanValues = set.normalization().mean();
        stdValues = set.normalization().std();
      }
    } else {
      int[] heldSamples =
          java.util.stream.IntStream.range(0, set.size()).filter(set::holds).toArray();
      pixels =
          manager.create(FloatBuffer.wrap(set.values(heldSamples, 0, heldSamples.length)), shape);
    }
    this.mean = manager.create(meanValues, new Shape(1, channels, 1, 1));
    this.std = manager.create(stdValues, new Shape(1, channels, 1, 1));
  }

  /** Uploads {@code set}; batches come out as the set's values read on the host would. */
  public static DevicePool upload(NDManager manager, ImageSet set) {
    return new DevicePool(manager, set);
  }

  /**
   * Uploads {@code unit} (values as read, not normalised), normalised with {@code normalization}.
   */
  public static DevicePool upload(NDManager manager, ImageSet unit, Normalization normalization) {
    return new DevicePool(manager, unit.normalised(normalization));
  }

  /**
   * The normalised images in {@code rows} (int64 [n], on this pool's device; a row is where a
   * sample's image is stored, see {@link #rows}): [n, C, H, W].
   */
  public NDArray images(NDArray rows) {
    NDArray picked = pixels.get(new NDIndex("{}", rows));
    NDArray unit = levels ? picked.toType(DataType.FLOAT32, false).div(255f) : picked;
    return unit.sub(mean).div(std);
  }

  /** The normalised images at {@code indices[from, to)}. */
  public NDArray images(int[] indices, int from, int to) {
    long[] picked = new long[to - from];
    for (int i = from; i < to; i++) {
      picked[i - from] = set.row(indices[i]);
    }
    return images(pixels.getManager().create(picked));
  }

  /** The normalised images at all of {@code indices}. */
  public NDArray images(int[] indices) {
    return images(indices, 0, indices.length);
  }

  /** The label of every image, host side. */
  public int[] labels() {
    return set.labels();
  }

  public int size() {
    return set.size();
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

  @Override
  public void close() {
    pixels.close();
    mean.close();
    std.close();
  }
}
