package dev.goldpan.worker.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.goldpan.worker.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

  private static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  @TempDir Path directory;

  @Test
  void readsPlainFiles() throws Exception {
    Path root = directory.resolve("digits");
    writeDataSet(root, false, 5, 2, 3);

    LabeledDataset dataset = new IdxReader().read(root);

    assertThat(dataset.train().size()).isEqualTo(5);
    assertThat(dataset.test().size()).isEqualTo(3);
    assertThat(dataset.train().channels()).isEqualTo(1);
    assertThat(dataset.train().height()).isEqualTo(2);
    assertThat(dataset.train().width()).isEqualTo(3);
    assertThat(dataset.train().labels()).containsExactly(0, 1, 2, 3, 4);
    assertThat(dataset.test().labels()).containsExactly(0, 1, 2);
    assertThat(dataset.classNames()).containsExactly("0", "1", "2", "3", "4");
    // Image i holds the bytes 10 i .. 10 i + 5.
    assertThat(Arrays.copyOfRange(dataset.train().pixels(), 6, 12))
        .containsExactly(10 / 255f, 11 / 255f, 12 / 255f, 13 / 255f, 14 / 255f, 15 / 255f);
    assertThat(dataset.files())
        .containsExactly(
            root.resolve(IdxReader.TRAIN_IMAGES),
            root.resolve(IdxReader.TRAIN_LABELS),
            root.resolve(IdxReader.TEST_IMAGES),
            root.resolve(IdxReader.TEST_LABELS));
  }

  @Test
  void readsGzippedFilesAndNamesFashionClasses() throws Exception {
    Path root = directory.resolve("my-fashion-set");
    writeDataSet(root, true, 10, 4, 4);

    LabeledDataset dataset = new IdxReader().read(root);

    assertThat(dataset.train().size()).isEqualTo(10);
    assertThat(dataset.classNames()).isEqualTo(IdxReader.FASHION_MNIST_CLASSES);
    assertThat(dataset.files()).allMatch(file -> file.toString().endsWith(".gz"));
    assertThat(dataset.train().pixels()[16]).isEqualTo(10 / 255f);
  }

  @Test
  void readsOnlyTheImagesOfTheAskedClasses() throws Exception {
    for (boolean gzip : new boolean[] {false, true}) {
      Path root = directory.resolve("filtered-" + gzip);
      writeDataSet(root, gzip, 6, 2, 3);
      Dataset dataset = new IdxReader().open(root);

      ImageSet classes = dataset.read(Split.TRAIN, SampleFilter.classes(1, 4));

      assertThat(classes.size()).isEqualTo(6);
      assertThat(classes.labels()).containsExactly(0, 1, 2, 3, 4, 5);
      assertThat(classes.heldCount()).isEqualTo(2);
      assertThat(classes.bytes()).hasSize(2 * 6);
      assertThat(classes.holds(1)).isTrue();
      assertThat(classes.holds(4)).isTrue();
      assertThat(classes.holds(0)).isFalse();
      assertThatThrownBy(() -> classes.copyValues(2, new float[6], 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("image 2 is not held");
      // Image i holds the bytes 10 i ..; the held ones read as they do in the whole set.
      ImageSet whole = dataset.read(Split.TRAIN, SampleFilter.ALL);
      for (int image : new int[] {1, 4}) {
        float[] filtered = new float[6];
        float[] all = new float[6];
        classes.copyValues(image, filtered, 0);
        whole.copyValues(image, all, 0);
        assertThat(filtered).containsExactly(all);
        assertThat(filtered[0]).isEqualTo(10 * image / 255f);
      }
      assertThat(classes.compact().labels()).containsExactly(1, 4);
      assertThat(dataset.read(Split.TRAIN, SampleFilter.range(2, 4)).compact().bytes())
          .containsExactly(20, 21, 22, 23, 24, 25, 30, 31, 32, 33, 34, 35);
    }
  }

  @Test
  void reportsATruncatedImagesFile() throws Exception {
    Path root = directory.resolve("digits");
    writeDataSet(root, false, 5, 2, 3);
    Path images = root.resolve(IdxReader.TRAIN_IMAGES);
    byte[] bytes = Files.readAllBytes(images);
    Files.write(images, Arrays.copyOf(bytes, bytes.length - 4));

    assertThatThrownBy(() -> new IdxReader().read(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(images.toString())
        .hasMessageContaining("is truncated: its header promises 5 images of 2x3 (30 bytes)")
        .hasMessageContaining("only 26 bytes follow");
  }

  @Test
  void reportsAWrongMagicNumber() throws Exception {
    Path root = directory.resolve("digits");
    writeDataSet(root, false, 5, 2, 3);
    Path labels = root.resolve(IdxReader.TEST_LABELS);
    writeIdx(labels, IdxReader.IMAGES_MAGIC, new int[] {3, 1, 1}, new byte[3], false);

    assertThatThrownBy(() -> new IdxReader().read(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(labels.toString())
        .hasMessageContaining("wrong magic number 0x00000803, expected 0x00000801");
  }

  @Test
  void reportsMismatchedImageAndLabelCounts() throws Exception {
    Path root = directory.resolve("digits");
    writeDataSet(root, false, 5, 2, 3);
    Path labels = root.resolve(IdxReader.TRAIN_LABELS);
    writeIdx(labels, IdxReader.LABELS_MAGIC, new int[] {4}, new byte[] {0, 1, 2, 3}, false);

    assertThatThrownBy(() -> new IdxReader().read(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(labels + " holds 4 labels but")
        .hasMessageContaining(IdxReader.TRAIN_IMAGES + " holds 5 images");
  }

  @Test
  void reportsAMissingFile() throws Exception {
    Path root = directory.resolve("digits");
    writeDataSet(root, true, 5, 2, 3);
    Files.delete(root.resolve(IdxReader.TEST_IMAGES + ".gz"));

    assertThatThrownBy(() -> new IdxReader().read(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(root + " has no " + IdxReader.TEST_IMAGES)
        .hasMessageContaining("expected " + IdxReader.TRAIN_IMAGES);
    assertThatThrownBy(() -> new IdxReader().read(directory.resolve("absent")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("absent does not exist");
  }

  @Test
  void reportsACorruptGzipFile() throws Exception {
    Path root = directory.resolve("digits");
    writeDataSet(root, true, 5, 2, 3);
    Path labels = root.resolve(IdxReader.TRAIN_LABELS + ".gz");
    byte[] bytes = Files.readAllBytes(labels);
    Files.write(labels, Arrays.copyOf(bytes, 12));

    assertThatThrownBy(() -> new IdxReader().read(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(labels.toString())
        .hasMessageContaining("not a valid gzip file");
  }

  @Test
  void readsTheRealFashionMnist() {
    assumeTrue(Files.isDirectory(FASHION_MNIST), FASHION_MNIST + " is not installed");

    LabeledDataset dataset = new IdxReader().read(FASHION_MNIST);

    assertThat(dataset.train().size()).isEqualTo(60_000);
    assertThat(dataset.test().size()).isEqualTo(10_000);
    assertThat(dataset.train().channels()).isEqualTo(1);
    assertThat(dataset.train().height()).isEqualTo(28);
    assertThat(dataset.train().width()).isEqualTo(28);
    assertThat(dataset.classNames()).isEqualTo(IdxReader.FASHION_MNIST_CLASSES);
    assertThat(dataset.train().classCounts(10)).containsOnly(6000);
    assertThat(dataset.test().classCounts(10)).containsOnly(1000);
    float max = 0;
    for (float value : dataset.train().pixels()) {
      max = Math.max(max, value);
    }
    assertThat(max).isEqualTo(1f);
  }

  /**
   * Writes {@code train} and {@code test} images of {@code height} x {@code width}: image i holds
   * the bytes 10 i, 10 i + 1, ... and has label i.
   */
  private static void writeDataSet(Path root, boolean gzip, int train, int height, int width)
      throws IOException {
    Files.createDirectories(root);
    writeSplit(root, IdxReader.TRAIN_IMAGES, IdxReader.TRAIN_LABELS, gzip, train, height, width);
    writeSplit(root, IdxReader.TEST_IMAGES, IdxReader.TEST_LABELS, gzip, 3, height, width);
  }

  private static void writeSplit(
      Path root, String images, String labels, boolean gzip, int count, int height, int width)
      throws IOException {
    String suffix = gzip ? ".gz" : "";
    byte[] pixels = new byte[count * height * width];
    byte[] labelBytes = new byte[count];
    for (int i = 0; i < count; i++) {
      labelBytes[i] = (byte) i;
      for (int p = 0; p < height * width; p++) {
        pixels[i * height * width + p] = (byte) (10 * i + p);
      }
    }
    writeIdx(
        root.resolve(images + suffix),
        IdxReader.IMAGES_MAGIC,
        new int[] {count, height, width},
        pixels,
        gzip);
    writeIdx(
        root.resolve(labels + suffix), IdxReader.LABELS_MAGIC, new int[] {count}, labelBytes, gzip);
  }

  private static void writeIdx(Path file, int magic, int[] dimensions, byte[] data, boolean gzip)
      throws IOException {
    ByteBuffer header = ByteBuffer.allocate(4 + 4 * dimensions.length).putInt(magic);
    for (int dimension : dimensions) {
      header.putInt(dimension);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = gzip ? new GZIPOutputStream(bytes) : bytes) {
      out.write(header.array());
      out.write(data);
    }
    Files.write(file, bytes.toByteArray());
  }
}
