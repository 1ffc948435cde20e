package dev.goldpan.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.data.Normalization;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DevicePoolTest {

  /** Six 2-channel 3x4 images of random values from {@code level}. */
  private static ImageSet images(Random random, java.util.function.IntFunction<Float> level) {
    float[] pixels = new float[6 * 2 * 12];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = level.apply(random.nextInt(256));
    }
    return new ImageSet(pixels, new int[] {0, 1, 2, 0, 1, 2}, 2, 3, 4);
  }

  @Test
  void eightBitImagesComeOutAsTheHostNormalisesThemBitForBit() {
    Random random = new Random(3);
    ImageSet unit = images(random, k -> k / 255f);
    Normalization normalization =
        new Normalization(new float[] {0.3f, 0.6f}, new float[] {0.2f, 0.7f});
    int[] picked = {4, 0, 4, 5};

    float[] expected = normalization.apply(unit).subset(picked).pixels();
    try (NDManager manager = NDManager.newBaseManager();
        DevicePool pool = DevicePool.upload(manager, unit, normalization)) {
      float[] actual = pool.images(picked).toFloatArray();

      assertThat(actual).containsExactly(expected);
      assertThat(pool.labels()).containsExactly(0, 1, 2, 0, 1, 2);
    }
  }

  @Test
  void otherValuesAreKeptAsFloatsAndNormalisedTheSameWay() {
    Random random = new Random(4);
    ImageSet unit = images(random, k -> k / 255f + 1e-3f);
    Normalization normalization =
        new Normalization(new float[] {0.5f, 0.1f}, new float[] {0.3f, 2f});
    int[] picked = {1, 2, 3};

    float[] expected = normalization.apply(unit).subset(picked).pixels();
    try (NDManager manager = NDManager.newBaseManager();
        DevicePool pool = DevicePool.upload(manager, unit, normalization)) {
      assertThat(pool.images(picked).toFloatArray()).containsExactly(expected);
      assertThat(Arrays.stream(picked).map(i -> pool.labels()[i]).toArray())
          .containsExactly(1, 2, 0);
    }
  }
}
