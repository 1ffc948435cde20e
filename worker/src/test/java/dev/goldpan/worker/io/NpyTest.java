package dev.goldpan.worker.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.goldpan.worker.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {

  @TempDir Path directory;

  @Test
  void roundTripsEveryWrittenDtype() {
    List<NpyArray> arrays =
        List.of(
            NpyArray.float32(new float[] {0.5f, -1.25f, 3e-8f, Float.MAX_VALUE, 7f, 0f}, 2, 3),
            NpyArray.int64(new long[] {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE}, 5),
            NpyArray.int32(new int[] {Integer.MIN_VALUE, -7, 0, 42}, 2, 1, 2),
            NpyArray.uint8(new byte[] {0, 1, (byte) 128, (byte) 255}, 4),
            NpyArray.float32(new float[] {2.5f}));

    for (NpyArray array : arrays) {
      Path file = directory.resolve(array.dtype().substring(1) + array.shape().length + ".npy");
      Npy.write(file, array);
      assertThat(Npy.read(file)).as(array.toString()).isEqualTo(array);
    }
  }

  @Test
  void accessorsConvertBetweenDtypes() {
    NpyArray bytes = NpyArray.uint8(new byte[] {0, 127, (byte) 255}, 3);
    assertThat(bytes.floats()).containsExactly(0f, 127f, 255f);
    assertThat(bytes.ints()).containsExactly(0, 127, 255);
    assertThat(bytes.longs()).containsExactly(0L, 127L, 255L);
    assertThat(bytes.doubles()).containsExactly(0d, 127d, 255d);

    NpyArray labels = NpyArray.int64(new int[] {3, -2}, 2);
    assertThat(labels.dtype()).isEqualTo(NpyArray.INT64);
    assertThat(labels.ints()).containsExactly(3, -2);
    assertThat(labels.floats()).containsExactly(3f, -2f);

    assertThat(NpyArray.float32(new float[] {1.5f}, 1).doubles()).containsExactly(1.5d);
    assertThatThrownBy(() -> NpyArray.float32(new float[] {1.5f}, 1).longs())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> NpyArray.int64(new long[] {1L << 40}, 1).ints())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> NpyArray.float32(new float[3], 2, 2))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void headerIsPaddedToSixtyFourBytes() throws Exception {
    Path file = directory.resolve("scores.npy");
    Npy.write(file, NpyArray.float32(new float[7], 7));

    byte[] bytes = Files.readAllBytes(file);
    int dataOffset = bytes.length - 7 * Float.BYTES;
    assertThat(dataOffset % 64).isZero();
    String header = new String(bytes, 10, dataOffset - 10, StandardCharsets.ISO_8859_1);
    assertThat(header)
        .startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }")
        .endsWith(" \n");
  }

  @Test
  void readsVersionTwoFloat64AndScalars() throws Exception {
    ByteBuffer values = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    values.putDouble(1.5).putDouble(-2.25);
    Path file = directory.resolve("v2.npy");
    Files.write(
        file,
        npy(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", values.array()));

    NpyArray array = Npy.read(file);

    assertThat(array.dtype()).isEqualTo(NpyArray.FLOAT64);
    assertThat(array.shape()).containsExactly(1, 2);
    assertThat(array.doubles()).containsExactly(1.5, -2.25);
    assertThat(Npy.readFloats(file)).containsExactly(1.5f, -2.25f);

    Path scalar = directory.resolve("scalar.npy");
    Files.write(
        scalar,
        npy(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (), }", new byte[] {9, 0, 0, 0}));
    assertThat(Npy.read(scalar).shape()).isEmpty();
    assertThat(Npy.read(scalar).ints()).containsExactly(9);
  }

  @Test
  void rejectsFortranOrder() throws Exception {
    Path file = directory.resolve("fortran.npy");
    Files.write(
        file, npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new byte[16]));

    assertThatThrownBy(() -> Npy.read(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("Fortran order");
  }

  @Test
  void rejectsUnsupportedDtypesAndBigEndian() throws Exception {
    Path bool = directory.resolve("bool.npy");
    Files.write(
        bool, npy(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", new byte[2]));
    Path bigEndian = directory.resolve("big.npy");
    Files.write(
        bigEndian,
        npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]));

    assertThatThrownBy(() -> Npy.read(bool))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("bool.npy")
        .hasMessageContaining("dtype |b1");
    assertThatThrownBy(() -> Npy.read(bigEndian))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("big.npy")
        .hasMessageContaining("big-endian");
  }

  @Test
  void rejectsTruncatedAndForeignFiles() throws Exception {
    Path file = directory.resolve("cut.npy");
    Npy.write(file, NpyArray.int64(new long[10], 10));
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length - 3));
    Path foreign = directory.resolve("foreign.npy");
    Files.writeString(foreign, "x,y\n1,2\n");
    Path missing = directory.resolve("missing.npy");

    assertThatThrownBy(() -> Npy.read(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("cut.npy")
        .hasMessageContaining("truncated")
        .hasMessageContaining("needs 80 bytes of data, found 77");
    assertThatThrownBy(() -> Npy.read(foreign))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("foreign.npy is not a .npy file");
    assertThatThrownBy(() -> Npy.read(missing))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("missing.npy does not exist");
  }

  @Test
  void writeReplacesTheFileAndLeavesNoTemporaryFile() throws Exception {
    Path file = directory.resolve("nested").resolve("scores.npy");
    Npy.write(file, NpyArray.float32(new float[] {1f}, 1));
    Npy.write(file, NpyArray.float32(new float[] {2f, 3f}, 2));

    assertThat(Npy.readFloats(file)).containsExactly(2f, 3f);
    try (var entries = Files.list(file.getParent())) {
      assertThat(entries).containsExactly(file);
    }
  }

  @Test
  void numpyLoadsWhatThisClassWrites() throws Exception {
    assumeTrue(Python.hasNumpy(), "needs /usr/bin/python3 with numpy");
    float[] floats = new float[60];
    for (int i = 0; i < floats.length; i++) {
      floats[i] = i * 0.25f - 3f;
    }
    byte[] bytes = new byte[12];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) (250 + i);
    }
    Npy.write(directory.resolve("f4.npy"), NpyArray.float32(floats, 3, 4, 5));
    Npy.write(directory.resolve("i8.npy"), NpyArray.int64(new long[] {1L << 40, -5, 7}, 3));
    Npy.write(directory.resolve("i4.npy"), NpyArray.int32(new int[] {-2, 9, 100, 4}, 2, 2));
    Npy.write(directory.resolve("u1.npy"), NpyArray.uint8(bytes, 3, 4));

    String output =
        Python.run(
            """
            import sys, numpy as np
            for name in ['f4', 'i8', 'i4', 'u1']:
                a = np.load(sys.argv[1] + '/' + name + '.npy')
                print(name, a.dtype.str, a.shape, repr(float(a.sum(dtype=np.float64))))
            """,
            directory);

    assertThat(output.lines())
        .containsExactly(
            "f4 <f4 (3, 4, 5) 262.5",
            "i8 <i8 (3,) 1099511627778.0",
            "i4 <i4 (2, 2) 111.0",
            "u1 |u1 (3, 4) 1530.0");
  }

  @Test
  void readsWhatNumpyWrites() throws Exception {
    assumeTrue(Python.hasNumpy(), "needs /usr/bin/python3 with numpy");
    Python.run(
        """
        import sys, numpy as np
        d = sys.argv[1]
        for t in ['uint8', 'int32', 'int64', 'float32', 'float64']:
            np.save(d + '/' + t + '.npy', np.arange(24, dtype=t).reshape(2, 3, 4))
        with open(d + '/v2.npy', 'wb') as f:
            np.lib.format.write_array(f, np.linspace(0, 1, 5, dtype=np.float32), version=(2, 0))
        np.save(d + '/fortran.npy', np.asfortranarray(np.ones((3, 2), dtype=np.float32)))
        """,
        directory);

    for (String type : List.of("uint8", "int32", "int64", "float32", "float64")) {
      NpyArray array = Npy.read(directory.resolve(type + ".npy"));
      assertThat(array.shape()).as(type).containsExactly(2, 3, 4);
      assertThat(array.floats()[23]).as(type).isEqualTo(23f);
      assertThat(array.doubles()).as(type).hasSize(24);
    }
    assertThat(Npy.readFloats(directory.resolve("v2.npy")))
        .containsExactly(0f, 0.25f, 0.5f, 0.75f, 1f);
    assertThatThrownBy(() -> Npy.read(directory.resolve("fortran.npy")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("fortran_order=True");
  }

  /** A .npy file of format version {@code major}.0 with {@code dictionary} as its header. */
  private static byte[] npy(int major, String dictionary, byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
    byte[] header = (dictionary + "\n").getBytes(StandardCharsets.ISO_8859_1);
    int lengthBytes = major == 1 ? 2 : 4;
    for (int i = 0; i < lengthBytes; i++) {
      out.write(header.length >>> (8 * i));
    }
    out.writeBytes(header);
    out.writeBytes(data);
    return out.toByteArray();
  }
}
