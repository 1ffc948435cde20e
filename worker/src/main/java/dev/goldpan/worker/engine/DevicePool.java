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
 * on the device by index and normalised there per channel. Images whose values are all 8-bit levels
 * k / 255 (what the IDX, CIFAR, image-folder and uint8 NPZ readers produce) are held as bytes [N,
 * C, H, W] and come out as {@code (x / 255 - mean) / std}; other values (float NPZ) are held as
 * float32 and come out as {@code (x - mean) / std}. Either way these are the float operations of
 * {@link Normalization#apply} on the host, so a batch equals the host-normalised images bit for
 * bit.
 */
public final class DevicePool implements AutoCloseable {

  private final NDArray pixels;
  private final boolean levels;
  private final NDArray mean;
  private final NDArray std;
  private final int[] labels;
  private final int channels;
  private final int height;
  private final int width;

  private DevicePool(
      NDManager manager, ImageSet unit, Normalization normalization, byte[] levelsOrNull) {
    this.labels = unit.labels().clone();
    this.channels = unit.channels();
    this.height = unit.height();
    this.width = unit.width();
    Shape shape = new Shape(labels.length, channels, height, width);
    this.levels = levelsOrNull != null;
    this.pixels =
        levels
            ? manager.create(ByteBuffer.wrap(levelsOrNull), shape, DataType.UINT8)
            : manager.create(FloatBuffer.wrap(unit.pixels()), shape);
    this.mean = manager.create(normalization.mean(), new Shape(1, channels, 1, 1));
    this.std = manager.create(normalization.std(), new Shape(1, channels, 1, 1));
  }

  /**
   * Uploads {@code unit}, the images as read (values in [0, 1], not normalised); batches come out
   * normalised with {@code normalization}.
   */
  public static DevicePool upload(NDManager manager, ImageSet unit, Normalization normalization) {
    return new DevicePool(manager, unit, normalization, asLevels(unit.pixels()));
  }

  /** The values as bytes when every one is exactly k / 255 for k in 0..255, else null. */
  private static byte[] asLevels(float[] values) {
    byte[] bytes = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      int level = Math.round(values[i] * 255f);
      if (level < 0 || level > 255 || level / 255f != values[i]) {
        return null;
      }
      bytes[i] = (byte) level;
    }
    return bytes;
  }

  /** The normalised images at {@code indices} (int64 [n], on this pool's device): [n, C, H, W]. */
  public NDArray images(NDArray indices) {
    NDArray picked = pixels.get(new NDIndex("{}", indices));
    NDArray unit = levels ? picked.toType(DataType.FLOAT32, false).div(255f) : picked;
    return unit.sub(mean).div(std);
  }

  /** The normalised images at {@code indices[from, to)}. */
  public NDArray images(int[] indices, int from, int to) {
    long[] picked = new long[to - from];
    for (int i = from; i < to; i++) {
      picked[i - from] = indices[i];
    }
    return images(pixels.getManager().create(picked));
  }

  /** The normalised images at all of {@code indices}. */
  public NDArray images(int[] indices) {
    return images(indices, 0, indices.length);
  }

  /** The label of every image, host side. */
  public int[] labels() {
    return labels;
  }

  public int size() {
    return labels.length;
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
