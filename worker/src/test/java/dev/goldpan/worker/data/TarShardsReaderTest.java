package dev.goldpan.worker.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goldpan.worker.InvalidInputException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarShardsReaderTest {

  private static final int SIDE = 3;

  @TempDir Path directory;

  /** A member of a shard: its name and content. */
  private record Member(String name, byte[] content) {}

  @Test
  void readsShardsInNameOrderWithEveryLabelAndImage() throws Exception {
    Path root = directory.resolve("set");
    // train: shard a holds samples 0..2, shard b 3..4; labels 2, 0, 1, 2, 1.
    writeShard(root.resolve("train/b.tar"), samples(3, 2, 1));
    writeShard(root.resolve("train/a.tar"), samples(0, 2, 0, 1));
    writeShard(root.resolve("test/0.tar"), samples(10, 1, 0));

    Dataset dataset = new TarShardsReader().open(root);

    assertThat(dataset.labels(Split.TRAIN)).containsExactly(2, 0, 1, 2, 1);
    assertThat(dataset.labels(Split.TEST)).containsExactly(1, 0);
    assertThat(dataset.classNames()).containsExactly("0", "1", "2");
    assertThat(dataset.channels()).isEqualTo(3);
    assertThat(dataset.height()).isEqualTo(SIDE);
    assertThat(dataset.files())
        .containsExactly(
            root.resolve("train/a.tar"), root.resolve("train/b.tar"), root.resolve("test/0.tar"));
    ImageSet train = dataset.read(Split.TRAIN, SampleFilter.ALL);
    assertThat(train.heldCount()).isEqualTo(5);
    for (int i = 0; i < 5; i++) {
      assertThat(imageOf(train, i)).containsExactly(expectedImage(i));
    }
    assertThat(imageOf(dataset.read(Split.TEST, SampleFilter.ALL), 1))
        .containsExactly(expectedImage(11));
    // The default read gives the whole data set in memory.
    LabeledDataset whole = new TarShardsReader().read(root);
    assertThat(whole.train()).isEqualTo(train);
  }

  @Test
  void readsOnlyTheAskedClassesAndRanges() throws Exception {
    Path root = directory.resolve("set");
    writeShard(root.resolve("train/0.tar"), samples(0, 0, 1, 0));
    writeShard(root.resolve("train/1.tar"), samples(3, 1, 1, 0));
    writeShard(root.resolve("test/0.tar"), samples(6, 0, 1));
    Dataset dataset = new TarShardsReader().open(root);

    ImageSet ones = dataset.read(Split.TRAIN, SampleFilter.classes(1));

    assertThat(ones.size()).isEqualTo(6);
    assertThat(ones.heldCount()).isEqualTo(3);
    assertThat(ones.bytes()).hasSize(3 * 3 * SIDE * SIDE);
    assertThat(ones.holds(0)).isFalse();
    for (int i : new int[] {1, 3, 4}) {
      assertThat(imageOf(ones, i)).containsExactly(expectedImage(i));
    }
    ImageSet chunk = dataset.read(Split.TRAIN, SampleFilter.range(2, 4)).compact();
    assertThat(chunk.labels()).containsExactly(0, 1);
    assertThat(imageOf(chunk, 1)).containsExactly(expectedImage(3));
  }

  @Test
  void aShardThatHoldsNoWantedImageIsNotRead() throws Exception {
    Path root = directory.resolve("set");
    writeShard(root.resolve("train/0.tar"), samples(0, 0, 1));
    writeShard(root.resolve("train/1.tar"), samples(2, 1, 0));
    writeShard(root.resolve("test/0.tar"), samples(4, 0));
    Dataset dataset = new TarShardsReader().open(root);
    // Corrupting the second shard's images after opening shows whether it is read.
    writeShard(
        root.resolve("train/1.tar"),
        List.of(
            member("2.png", "x"),
            member("2.cls", "1"),
            member("3.png", "x"),
            member("3.cls", "0")));

    assertThat(dataset.read(Split.TRAIN, SampleFilter.range(0, 2)).heldCount()).isEqualTo(2);
    assertThatThrownBy(() -> dataset.read(Split.TRAIN, SampleFilter.range(0, 3)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(root.resolve("train/1.tar") + " member 2.png")
        .hasMessageContaining("not a PNG or JPEG image");
  }

  @Test
  void reportsALabelThatIsNoNumber() throws Exception {
    Path root = directory.resolve("set");
    List<Member> members = samples(0, 0, 1);
    members.set(3, member("000001.cls", "cat"));
    writeShard(root.resolve("train/0.tar"), members);
    writeShard(root.resolve("test/0.tar"), samples(4, 0));

    assertThatThrownBy(() -> new TarShardsReader().open(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(root.resolve("train/0.tar") + " member 000001.cls holds 'cat'")
        .hasMessageContaining("decimal integer");
  }

  @Test
  void reportsASampleWithoutLabel() throws Exception {
    Path root = directory.resolve("set");
    List<Member> members = samples(0, 0, 1);
    members.remove(1);
    writeShard(root.resolve("train/0.tar"), members);
    writeShard(root.resolve("test/0.tar"), samples(4, 0));

    assertThatThrownBy(() -> new TarShardsReader().open(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(root.resolve("train/0.tar") + " sample 000000 has no <key>.cls");
  }

  @Test
  void reportsATestLabelOutsideTheTrainClasses() throws Exception {
    Path root = directory.resolve("set");
    writeShard(root.resolve("train/0.tar"), samples(0, 0, 1));
    writeShard(root.resolve("test/0.tar"), samples(4, 5));

    assertThatThrownBy(() -> new TarShardsReader().open(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("test shards")
        .hasMessageContaining("label 5");
  }

  @Test
  void reportsImagesOfAnotherSize() throws Exception {
    Path root = directory.resolve("set");
    List<Member> members = samples(0, 0, 1);
    members.set(
        2, new Member("000001.png", png(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB))));
    writeShard(root.resolve("train/0.tar"), members);
    writeShard(root.resolve("test/0.tar"), samples(4, 0));
    Dataset dataset = new TarShardsReader().open(root);

    assertThatThrownBy(() -> dataset.read(Split.TRAIN, SampleFilter.ALL))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(root.resolve("train/0.tar") + " member 000001.png is 3x4x4")
        .hasMessageContaining("one size and channel count");
  }

  @Test
  void reportsATruncatedShard() throws Exception {
    Path root = directory.resolve("set");
    writeShard(root.resolve("train/0.tar"), samples(0, 0, 1, 1));
    writeShard(root.resolve("test/0.tar"), samples(4, 0));
    Path shard = root.resolve("train/0.tar");
    byte[] bytes = Files.readAllBytes(shard);
    // Cut inside the third member (sample 1's image), after its header.
    int cut = 3 * 512 + 512 * ((expectedPngLength() + 511) / 512) + 100;
    Files.write(shard, Arrays.copyOf(bytes, cut));

    assertThatThrownBy(() -> new TarShardsReader().open(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(shard + " is not a complete tar file");
    // End the archive properly after sample 1's image: a cut between members leaves a sample
    // without its label.
    int dataStart = 3 * 512 + 512 * ((expectedPngLength() + 511) / 512) + 512;
    byte[] cutInData = Arrays.copyOf(bytes, dataStart + 512 + 1024);
    Arrays.fill(cutInData, dataStart + 512, cutInData.length, (byte) 0);
    Files.write(shard, cutInData);

    assertThatThrownBy(() -> new TarShardsReader().open(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(shard + " sample 000001 has no <key>.cls");
  }

  @Test
  void reportsMissingSplitsAndShards() throws Exception {
    Path root = directory.resolve("set");
    Files.createDirectories(root.resolve("train"));

    assertThatThrownBy(() -> new TarShardsReader().open(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(root.resolve("train") + " holds no .tar shards");
    writeShard(root.resolve("train/0.tar"), samples(0, 0));
    assertThatThrownBy(() -> new TarShardsReader().open(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(root + " has no test/ directory");
  }

  /**
   * Sample {@code first + i} has key {@code %06d}, label {@code labels[i]}, image {@link
   * #expectedImage}.
   */
  private static List<Member> samples(int first, int... labels) throws IOException {
    List<Member> members = new ArrayList<>();
    for (int i = 0; i < labels.length; i++) {
      String key = String.format("%06d", first + i);
      BufferedImage image = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_INT_RGB);
      byte[] expected = expectedImage(first + i);
      int plane = SIDE * SIDE;
      for (int p = 0; p < plane; p++) {
        int rgb =
            (expected[p] & 0xFF) << 16
                | (expected[plane + p] & 0xFF) << 8
                | (expected[2 * plane + p] & 0xFF);
        image.setRGB(p % SIDE, p / SIDE, rgb);
      }
      members.add(new Member(key + ".png", png(image)));
      members.add(member(key + ".cls", Integer.toString(labels[i])));
    }
    return members;
  }

  /** The CHW bytes of sample {@code n}'s image: red 10 n + p, green 100 + p, blue 200 - n. */
  private static byte[] expectedImage(int n) {
    int plane = SIDE * SIDE;
    byte[] bytes = new byte[3 * plane];
    for (int p = 0; p < plane; p++) {
      bytes[p] = (byte) (10 * n + p);
      bytes[plane + p] = (byte) (100 + p);
      bytes[2 * plane + p] = (byte) (200 - n);
    }
    return bytes;
  }

  private static int expectedPngLength() throws IOException {
    return samples(0, 0).get(0).content().length;
  }

  private static byte[] imageOf(ImageSet set, int index) {
    int size = set.imageSize();
    return Arrays.copyOfRange(set.bytes(), set.row(index) * size, (set.row(index) + 1) * size);
  }

  private static Member member(String name, String content) {
    return new Member(name, content.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] png(BufferedImage image) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageIO.write(image, "png", bytes);
    return bytes.toByteArray();
  }

  private static void writeShard(Path file, List<Member> members) throws IOException {
    Files.createDirectories(file.getParent());
    try (OutputStream out = Files.newOutputStream(file);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      for (Member member : members) {
        TarArchiveEntry entry = new TarArchiveEntry(member.name());
        entry.setSize(member.content().length);
        tar.putArchiveEntry(entry);
        tar.write(member.content());
        tar.closeArchiveEntry();
      }
    }
  }
}
