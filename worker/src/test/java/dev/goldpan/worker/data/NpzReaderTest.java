package dev.goldpan.worker.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.io.NpyArray;
import dev.goldpan.worker.io.Npz;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpzReaderTest {

  @TempDir Path directory;

  @Test
  void readsChannelsLastUint8ImagesFromTheOnlyFileOfADirectory() {
    // Two 1x2 RGB images, NHWC: image n, pixel p, channel c holds 100 n + 10 p + c.
    byte[] train = {0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112};
    LinkedHashMap<String, NpyArray> arrays = new LinkedHashMap<>();
    arrays.put("x_train", NpyArray.uint8(train, 2, 1, 2, 3));
    arrays.put("y_train", NpyArray.uint8(new byte[] {1, 0}, 2, 1));
    arrays.put("x_test", NpyArray.uint8(new byte[6], 1, 1, 2, 3));
    arrays.put("y_test", NpyArray.int64(new long[] {1}, 1));
    Path file = directory.resolve("cifar.npz");
    Npz.write(file, arrays);

    LabeledDataset dataset = new NpzReader().read(directory);

    assertThat(dataset.train().channels()).isEqualTo(3);
    assertThat(dataset.train().height()).isEqualTo(1);
    assertThat(dataset.train().width()).isEqualTo(2);
    assertThat(dataset.train().pixels())
        .containsExactly(
            0f,
            10 / 255f,
            1 / 255f,
            11 / 255f,
            2 / 255f,
            12 / 255f,
            100 / 255f,
            110 / 255f,
            101 / 255f,
            111 / 255f,
            102 / 255f,
            112 / 255f);
    assertThat(dataset.train().labels()).containsExactly(1, 0);
    assertThat(dataset.test().labels()).containsExactly(1);
    assertThat(dataset.classNames()).containsExactly("0", "1");
    assertThat(dataset.files()).containsExactly(file);
  }

  @Test
  void readsChannelsFirstFloatImagesAndDropsAlpha() {
    LinkedHashMap<String, NpyArray> arrays = new LinkedHashMap<>();
    arrays.put("x_train", NpyArray.float32(new float[] {0.1f, 0.2f, 0.3f, 0.4f}, 1, 1, 2, 2));
    arrays.put("y_train", NpyArray.int32(new int[] {2}, 1));
    arrays.put("x_test", NpyArray.float32(new float[] {0.5f, 0.6f, 0.7f, 0.8f}, 1, 1, 2, 2));
    arrays.put("y_test", NpyArray.int32(new int[] {0}, 1));
    Path file = directory.resolve("gray.npz");
    Npz.write(file, arrays);

    LabeledDataset dataset = new NpzReader().read(file);

    assertThat(dataset.train().channels()).isEqualTo(1);
    assertThat(dataset.train().pixels()).containsExactly(0.1f, 0.2f, 0.3f, 0.4f);
    assertThat(dataset.classes()).isEqualTo(3);

    float[] rgba = {1f, 0.5f, 0.25f, 0.9f, 0f, 0.1f, 0.2f, 0.9f};
    arrays.put("x_train", NpyArray.float32(rgba, 1, 1, 2, 4));
    arrays.put("x_test", NpyArray.float32(rgba, 1, 1, 2, 4));
    Npz.write(file, arrays);

    ImageSet train = new NpzReader().read(file).train();

    assertThat(train.channels()).isEqualTo(3);
    assertThat(train.pixels()).containsExactly(1f, 0f, 0.5f, 0.1f, 0.25f, 0.2f);
  }

  @Test
  void reportsAMissingArray() {
    LinkedHashMap<String, NpyArray> arrays = new LinkedHashMap<>();
    arrays.put("x_train", NpyArray.uint8(new byte[4], 1, 2, 2));
    arrays.put("y_train", NpyArray.uint8(new byte[1], 1));
    arrays.put("x_test", NpyArray.uint8(new byte[4], 1, 2, 2));
    Path file = directory.resolve("mnist.npz");
    Npz.write(file, arrays);

    assertThatThrownBy(() -> new NpzReader().read(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(file + " has no array y_test")
        .hasMessageContaining("found [x_train, y_train, x_test]");
  }

  @Test
  void reportsBadLabelsAndShapes() {
    LinkedHashMap<String, NpyArray> arrays = new LinkedHashMap<>();
    arrays.put("x_train", NpyArray.uint8(new byte[8], 2, 2, 2));
    arrays.put("y_train", NpyArray.float32(new float[2], 2));
    arrays.put("x_test", NpyArray.uint8(new byte[4], 1, 2, 2));
    arrays.put("y_test", NpyArray.uint8(new byte[1], 1));
    Path file = directory.resolve("bad.npz");
    Npz.write(file, arrays);
    assertThatThrownBy(() -> new NpzReader().read(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(file + " array y_train has dtype <f4");

    arrays.put("y_train", NpyArray.uint8(new byte[3], 3));
    Npz.write(file, arrays);
    assertThatThrownBy(() -> new NpzReader().read(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(file + " array y_train holds 3 labels but x_train holds 2 images");

    arrays.put("y_train", NpyArray.uint8(new byte[2], 2));
    arrays.put("x_test", NpyArray.uint8(new byte[20], 1, 2, 2, 5));
    Npz.write(file, arrays);
    assertThatThrownBy(() -> new NpzReader().read(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(file + " array x_test has shape [1, 2, 2, 5]");

    arrays.put("x_test", NpyArray.uint8(new byte[4], 1, 2, 2));
    arrays.put("y_test", NpyArray.uint8(new byte[] {4}, 1));
    Npz.write(file, arrays);
    assertThatThrownBy(() -> new NpzReader().read(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(file + " array y_test has label 4");
  }

  @Test
  void reportsADirectoryWithoutExactlyOneArchive() {
    assertThatThrownBy(() -> new NpzReader().read(directory))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(directory + " holds no .npz file");
  }
}
