package dev.goldpan.worker.engine;

import ai.djl.ndarray.NDManager;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.data.Normalization;
import java.util.Arrays;

/** Device pools of test images that are already in the scale the engine computes in. */
final class TestPools {

  private TestPools() {}

  /** {@code images} on the device, handed out unchanged (mean 0, standard deviation 1). */
  static DevicePool asIs(NDManager manager, ImageSet images) {
    float[] zeros = new float[images.channels()];
    float[] ones = new float[images.channels()];
    Arrays.fill(ones, 1f);
    return DevicePool.upload(manager, images, new Normalization(zeros, ones));
  }
}
