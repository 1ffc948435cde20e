package dev.goldpan.worker.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goldpan.api.v1alpha1.DatasetFormat;
import org.junit.jupiter.api.Test;

class DatasetReadersTest {

  @Test
  void everyFormatHasItsReader() {
    assertThat(DatasetReaders.forFormat(DatasetFormat.IDX)).isInstanceOf(IdxReader.class);
    assertThat(DatasetReaders.forFormat(DatasetFormat.CIFAR_BINARY))
        .isInstanceOf(CifarBinaryReader.class);
    assertThat(DatasetReaders.forFormat(DatasetFormat.IMAGE_FOLDER))
        .isInstanceOf(ImageFolderReader.class);
    assertThat(DatasetReaders.forFormat(DatasetFormat.NPZ)).isInstanceOf(NpzReader.class);
  }
}
