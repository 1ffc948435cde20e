package dev.goldpan.worker.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * An n-dimensional array as a .npy file holds it: the numpy dtype string (one of {@link
 * #SUPPORTED_DTYPES}), the shape, and the elements as little-endian bytes in C (row-major) order.
 *
 * <p>Create arrays with the factories named after their dtype ({@link #float32}, {@link #int64},
 * ...) and read them back with the typed accessors ({@link #floats()}, {@link #longs()}, ...),
 * which convert from whatever dtype the array has. The shape and data arrays are shared, not
 * copied: treat them as read-only.
 */
public record NpyArray(String dtype, int[] shape, byte[] data) {

  public static final String UINT8 = "|u1";
  public static final String INT32 = "<i4";
  public static final String INT64 = "<i8";
  public static final String FLOAT32 = "<f4";
  public static final String FLOAT64 = "<f8";

  /** The dtypes this class reads and writes. */
  public static final List<String> SUPPORTED_DTYPES =
      List.of(UINT8, INT32, INT64, FLOAT32, FLOAT64);

  public NpyArray {
    long expected = elementCount(shape) * itemSize(dtype);
    if (data.length != expected) {
      throw new IllegalArgumentException(
          "shape "
              + Arrays.toString(shape)
              + " of "
              + dtype
              + " needs "
              + expected
              + " bytes, got "
              + data.length);
    }
  }

  /** A float32 array; {@code values} hold the elements in C order. */
  public static NpyArray float32(float[] values, int... shape) {
    ByteBuffer bytes = allocate(values.length, Float.BYTES);
    bytes.asFloatBuffer().put(values);
    return new NpyArray(FLOAT32, shape, bytes.array());
  }

  /** An int64 array; {@code values} hold the elements in C order. */
  public static NpyArray int64(long[] values, int... shape) {
    ByteBuffer bytes = allocate(values.length, Long.BYTES);
    bytes.asLongBuffer().put(values);
    return new NpyArray(INT64, shape, bytes.array());
  }

  /** An int64 array of int values (labels, indices), as numpy's default integer type. */
  public static NpyArray int64(int[] values, int... shape) {
    ByteBuffer bytes = allocate(values.length, Long.BYTES);
    LongBuffer longs = bytes.asLongBuffer();
    for (int value : values) {
      longs.put(value);
    }
    return new NpyArray(INT64, shape, bytes.array());
  }

  /** An int32 array; {@code values} hold the elements in C order. */
  public static NpyArray int32(int[] values, int... shape) {
    ByteBuffer bytes = allocate(values.length, Integer.BYTES);
    bytes.asIntBuffer().put(values);
    return new NpyArray(INT32, shape, bytes.array());
  }

  /** A uint8 array; each byte is read as an unsigned value 0..255. */
  public static NpyArray uint8(byte[] values, int... shape) {
    return new NpyArray(UINT8, shape, values.clone());
  }

  /** Bytes per element of {@code dtype}. */
  public static int itemSize(String dtype) {
    return switch (dtype) {
      case UINT8 -> 1;
      case INT32, FLOAT32 -> 4;
      case INT64, FLOAT64 -> 8;
      default ->
          throw new IllegalArgumentException(
              "unsupported dtype " + dtype + "; supported: " + SUPPORTED_DTYPES);
    };
  }

  /** Number of elements: the product of the shape (1 for a scalar). */
  public static long elementCount(int[] shape) {
    long count = 1;
    for (int dimension : shape) {
      if (dimension < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      count *= dimension;
    }
    return count;
  }

  /** Number of elements. */
  public int size() {
    return data.length / itemSize(dtype);
  }

  /** Whether the elements are integers (uint8, int32, int64). */
  public boolean isInteger() {
    return dtype.equals(UINT8) || dtype.equals(INT32) || dtype.equals(INT64);
  }

  /** The elements as floats, converted from any dtype. */
  public float[] floats() {
    float[] values = new float[size()];
    switch (dtype) {
      case UINT8 -> {
        for (int i = 0; i < values.length; i++) {
          values[i] = data[i] & 0xFF;
        }
      }
      case INT32 -> {
        IntBuffer source = buffer().asIntBuffer();
        for (int i = 0; i < values.length; i++) {
          values[i] = source.get(i);
        }
      }
      case INT64 -> {
        LongBuffer source = buffer().asLongBuffer();
        for (int i = 0; i < values.length; i++) {
          values[i] = source.get(i);
        }
      }
      case FLOAT32 -> buffer().asFloatBuffer().get(values);
      default -> {
        DoubleBuffer source = buffer().asDoubleBuffer();
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) source.get(i);
        }
      }
    }
    return values;
  }

  /** The elements as doubles, converted from any dtype. */
  public double[] doubles() {
    double[] values = new double[size()];
    switch (dtype) {
      case FLOAT32 -> {
        FloatBuffer source = buffer().asFloatBuffer();
        for (int i = 0; i < values.length; i++) {
          values[i] = source.get(i);
        }
      }
      case FLOAT64 -> buffer().asDoubleBuffer().get(values);
      default -> {
        long[] integers = longs();
        for (int i = 0; i < values.length; i++) {
          values[i] = integers[i];
        }
      }
    }
    return values;
  }

  /**
   * The elements as longs.
   *
   * @throws IllegalStateException if the dtype is not an integer type
   */
  public long[] longs() {
    long[] values = new long[size()];
    switch (dtype) {
      case UINT8 -> {
        for (int i = 0; i < values.length; i++) {
          values[i] = data[i] & 0xFF;
        }
      }
      case INT32 -> {
        IntBuffer source = buffer().asIntBuffer();
        for (int i = 0; i < values.length; i++) {
          values[i] = source.get(i);
        }
      }
      case INT64 -> buffer().asLongBuffer().get(values);
      default -> throw new IllegalStateException("dtype " + dtype + " is not an integer type");
    }
    return values;
  }

  /**
   * The elements as ints.
   *
   * @throws IllegalStateException if the dtype is not an integer type or a value does not fit an
   *     int
   */
  public int[] ints() {
    if (dtype.equals(INT32)) {
      int[] values = new int[size()];
      buffer().asIntBuffer().get(values);
      return values;
    }
    long[] wide = longs();
    int[] values = new int[wide.length];
    for (int i = 0; i < wide.length; i++) {
      if (wide[i] != (int) wide[i]) {
        throw new IllegalStateException("value " + wide[i] + " at index " + i + " exceeds an int");
      }
      values[i] = (int) wide[i];
    }
    return values;
  }

  private ByteBuffer buffer() {
    return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static ByteBuffer allocate(int count, int itemSize) {
    return ByteBuffer.allocate(Math.multiplyExact(count, itemSize)).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof NpyArray that
        && dtype.equals(that.dtype)
        && Arrays.equals(shape, that.shape)
        && Arrays.equals(data, that.data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "NpyArray[" + dtype + " " + Arrays.toString(shape) + "]";
  }
}
