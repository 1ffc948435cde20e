package dev.goldpan.worker.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.goldpan.worker.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpzTest {

  @TempDir Path directory;

  @Test
  void roundTripsArraysInOrder() throws Exception {
    LinkedHashMap<String, NpyArray> arrays = checkpoint();
    Path file = directory.resolve("synthetic.npz");

    Npz.write(file, arrays);
    LinkedHashMap<String, NpyArray> read = Npz.read(file);

    assertThat(read).containsExactlyEntriesOf(arrays);
    try (ZipFile zip = new ZipFile(file.toFile())) {
      assertThat(zip.stream().map(ZipEntry::getName))
          .containsExactly("images.npy", "labels.npy", "mean.npy", "std.npy");
      assertThat(zip.stream().map(ZipEntry::getMethod)).containsOnly(ZipEntry.STORED);
    }
  }

  @Test
  void sameArraysGiveTheSameBytesAndNoTemporaryFileRemains() throws Exception {
    Path first = directory.resolve("a.npz");
    Path second = directory.resolve("b.npz");
    Npz.write(first, checkpoint());
    Npz.write(second, checkpoint());

    assertThat(Files.readAllBytes(first)).isEqualTo(Files.readAllBytes(second));
    try (var entries = Files.list(directory)) {
      assertThat(entries).containsExactlyInAnyOrder(first, second);
    }
  }

  @Test
  void rejectsFilesThatAreNotZipArchives() throws Exception {
    Path file = directory.resolve("data.npz");
    Files.writeString(file, "not a zip");

    assertThatThrownBy(() -> Npz.read(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("not a valid .npz");
    assertThatThrownBy(() -> Npz.read(directory.resolve("absent.npz")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("absent.npz does not exist");
  }

  @Test
  void numpyLoadsWhatThisClassWrites() throws Exception {
    assumeTrue(Python.hasNumpy(), "needs /usr/bin/python3 with numpy");
    Path file = directory.resolve("synthetic.npz");
    Npz.write(file, checkpoint());

    String output =
        Python.run(
            """
            import sys, numpy as np
            with np.load(sys.argv[1]) as z:
                for k in z.files:
                    print(k, z[k].dtype.str, z[k].shape, repr(float(z[k].sum())))
            """,
            file);

    assertThat(output.lines())
        .containsExactly(
            "images <f4 (2, 1, 2, 2) 3.5",
            "labels <i8 (2,) 1.0",
            "mean <f4 (1,) 0.5",
            "std <f4 (1,) 0.25");
  }

  @Test
  void readsCompressedArchivesWrittenByNumpy() throws Exception {
    assumeTrue(Python.hasNumpy(), "needs /usr/bin/python3 with numpy");
    Path file = directory.resolve("keras.npz");
    Python.run(
        """
        import sys, numpy as np
        np.savez_compressed(sys.argv[1], x=np.arange(6, dtype=np.uint8).reshape(2, 3),
                            y=np.array([1.5, 2.5]))
        """,
        file);

    LinkedHashMap<String, NpyArray> arrays = Npz.read(file);

    assertThat(arrays).containsOnlyKeys("x", "y");
    assertThat(arrays.get("x").shape()).containsExactly(2, 3);
    assertThat(arrays.get("x").ints()).containsExactly(0, 1, 2, 3, 4, 5);
    assertThat(arrays.get("y").doubles()).containsExactly(1.5, 2.5);
  }

  private static LinkedHashMap<String, NpyArray> checkpoint() {
    LinkedHashMap<String, NpyArray> arrays = new LinkedHashMap<>();
    arrays.put(
        "images",
        NpyArray.float32(new float[] {0f, 0.25f, 0.5f, 0.75f, 1f, 0.5f, 0.5f, 0f}, 2, 1, 2, 2));
    arrays.put("labels", NpyArray.int64(new int[] {0, 1}, 2));
    arrays.put("mean", NpyArray.float32(new float[] {0.5f}, 1));
    arrays.put("std", NpyArray.float32(new float[] {0.25f}, 1));
    return arrays;
  }
}
