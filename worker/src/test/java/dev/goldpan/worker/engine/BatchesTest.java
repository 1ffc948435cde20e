package dev.goldpan.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.goldpan.worker.data.ImageSet;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchesTest {

  private static long directBytes() {
    return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(pool -> pool.getName().equals("direct"))
        .mapToLong(BufferPoolMXBean::getMemoryUsed)
        .sum();
  }

  /**
   * Streaming many batches holds one batch of direct memory, not one per batch until the garbage
   * collector runs, and every batch keeps its own values after the next one is made.
   */
  @Test
  void batchesPassThroughOneReusedBufferAndOwnTheirValues() {
    Random random = new Random(3);
    int count = 512;
    int side = 32;
    float[] pixels = new float[count * 3 * side * side];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = random.nextFloat();
    }
    ImageSet set = new ImageSet(pixels, new int[count], 3, side, side);
    int[] order = Batches.identity(count);
    long batchBytes = (long) pixels.length * Float.BYTES;
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray first = Batches.images(manager, set, order, 0, count);
      long before = directBytes();
      long peak = before;
      for (int i = 0; i < 100; i++) {
        Batches.images(manager, set, order, 0, count).close();
        peak = Math.max(peak, directBytes());
      }
      assertThat(peak - before)
          .as("direct memory grown over 100 batches of %d bytes", batchBytes)
          .isLessThan(batchBytes);
      NDArray second = Batches.images(manager, set, order, count / 2, count);

      assertThat(first.toFloatArray()).isEqualTo(set.values(order, 0, count));
      assertThat(second.toFloatArray()).isEqualTo(set.values(order, count / 2, count));
    }
  }
}
