package dev.goldpan.worker.data;

/** Converts 8-bit pixel values (0..255, stored as signed bytes) to floats in [0, 1]. */
final class BytePixels {

  private static final float[] UNIT_VALUES = new float[256];

  static {
    for (int value = 0; value < UNIT_VALUES.length; value++) {
      UNIT_VALUES[value] = value / 255f;
    }
  }

  private BytePixels() {}

  /** All of {@code bytes} as values in [0, 1]. */
  static float[] toUnit(byte[] bytes) {
    float[] values = new float[bytes.length];
    toUnit(bytes, 0, values, 0, bytes.length);
    return values;
  }

  /** Converts {@code count} bytes of {@code source} into {@code target}. */
  static void toUnit(byte[] source, int sourceOffset, float[] target, int targetOffset, int count) {
    for (int i = 0; i < count; i++) {
      target[targetOffset + i] = UNIT_VALUES[source[sourceOffset + i] & 0xFF];
    }
  }
}
