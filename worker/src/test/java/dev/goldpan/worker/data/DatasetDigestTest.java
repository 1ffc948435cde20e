package dev.goldpan.worker.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetDigestTest {

  @TempDir Path directory;

  @Test
  void dependsOnContentNamesAndOrderButNotOnTheMountPoint() throws Exception {
    Path first = write("one/train/cat/1.png", "abc");
    Path second = write("one/train/dog/1.png", "def");
    Path movedFirst = write("two/train/cat/1.png", "abc");
    Path movedSecond = write("two/train/dog/1.png", "def");
    Path relabelled = write("three/train/dog/1.png", "abc");
    Path relabelledSecond = write("three/train/cat/1.png", "def");

    String digest = DatasetDigest.sha256(List.of(first, second));

    assertThat(digest).hasSize(64).matches("[0-9a-f]+");
    assertThat(DatasetDigest.sha256(List.of(movedFirst, movedSecond))).isEqualTo(digest);
    assertThat(DatasetDigest.sha256(List.of(second, first))).isNotEqualTo(digest);
    assertThat(DatasetDigest.sha256(List.of(relabelled, relabelledSecond))).isNotEqualTo(digest);
    Files.writeString(second, "deg");
    assertThat(DatasetDigest.sha256(List.of(first, second))).isNotEqualTo(digest);
  }

  private Path write(String name, String content) throws Exception {
    Path file = directory.resolve(name);
    Files.createDirectories(file.getParent());
    return Files.writeString(file, content);
  }
}
