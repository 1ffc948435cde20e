package dev.goldpan.worker.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goldpan.worker.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarBinaryReaderTest {

  private static final int RECORD = CifarBinaryReader.RECORD_BYTES;

  @TempDir Path directory;

  @Test
  void readsBatchesInOrderWithClassNamesFromTheMetaFile() throws Exception {
    writeBatch(directory.resolve("data_batch_1.bin"), 0, 3);
    writeBatch(directory.resolve("data_batch_3.bin"), 3, 2);
    writeBatch(directory.resolve("test_batch.bin"), 5, 2);
    Files.writeString(
        directory.resolve("batches.meta.txt"),
        "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");

    LabeledDataset dataset = new CifarBinaryReader().read(directory);

    assertThat(dataset.train().size()).isEqualTo(5);
    assertThat(dataset.test().size()).isEqualTo(2);
    assertThat(dataset.train().channels()).isEqualTo(3);
    assertThat(dataset.train().height()).isEqualTo(32);
    assertThat(dataset.train().width()).isEqualTo(32);
    assertThat(dataset.train().labels()).containsExactly(0, 1, 2, 3, 4);
    assertThat(dataset.test().labels()).containsExactly(5, 6);
    assertThat(dataset.classNames()).hasSize(10).startsWith("airplane").endsWith("truck");
    // Train image 4 holds the bytes (4 + p) mod 256; its green plane starts at p = 1024.
    float[] image = Arrays.copyOfRange(dataset.train().pixels(), 4 * 3072, 5 * 3072);
    assertThat(image[0]).isEqualTo(4 / 255f);
    assertThat(image[1024 + 7]).isEqualTo(11 / 255f);
    assertThat(dataset.files())
        .containsExactly(
            directory.resolve("data_batch_1.bin"),
            directory.resolve("data_batch_3.bin"),
            directory.resolve("test_batch.bin"),
            directory.resolve("batches.meta.txt"));
  }

  @Test
  void findsTheUnpackedTarballFolderAndNumbersClassesWithoutMeta() throws Exception {
    Path batches = Files.createDirectories(directory.resolve("cifar-10-batches-bin"));
    writeBatch(batches.resolve("data_batch_1.bin"), 0, 10);
    writeBatch(batches.resolve("test_batch.bin"), 0, 1);

    LabeledDataset dataset = new CifarBinaryReader().read(directory);

    assertThat(dataset.train().size()).isEqualTo(10);
    assertThat(dataset.classNames())
        .containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
  }

  @Test
  void reportsATruncatedBatch() throws Exception {
    Path batch = directory.resolve("data_batch_2.bin");
    writeBatch(batch, 0, 3);
    byte[] bytes = Files.readAllBytes(batch);
    Files.write(batch, Arrays.copyOf(bytes, bytes.length - 100));
    writeBatch(directory.resolve("test_batch.bin"), 0, 1);

    assertThatThrownBy(() -> new CifarBinaryReader().read(directory))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(batch + " holds " + (3 * RECORD - 100) + " bytes")
        .hasMessageContaining("3073-byte records")
        .hasMessageContaining("truncated");
  }

  @Test
  void reportsMissingBatchesAndOutOfRangeLabels() throws Exception {
    assertThatThrownBy(() -> new CifarBinaryReader().read(directory))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(directory + " has no training batch")
        .hasMessageContaining("data_batch_1.bin");

    writeBatch(directory.resolve("data_batch_1.bin"), 8, 3);
    assertThatThrownBy(() -> new CifarBinaryReader().read(directory))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(directory + " has no test_batch.bin");

    writeBatch(directory.resolve("test_batch.bin"), 0, 1);
    assertThatThrownBy(() -> new CifarBinaryReader().read(directory))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("data_batch_1.bin record 2 has label 10")
        .hasMessageContaining("0..9");
  }

  /**
   * Writes {@code count} records; record i has label {@code firstLabel + i} and pixel bytes {@code
   * firstLabel + i + p} for pixel p of the 3072.
   */
  private static void writeBatch(Path file, int firstLabel, int count) throws IOException {
    byte[] bytes = new byte[count * RECORD];
    for (int i = 0; i < count; i++) {
      bytes[i * RECORD] = (byte) (firstLabel + i);
      for (int p = 0; p < CifarBinaryReader.IMAGE_BYTES; p++) {
        bytes[i * RECORD + 1 + p] = (byte) (firstLabel + i + p);
      }
    }
    Files.write(file, bytes);
  }
}
