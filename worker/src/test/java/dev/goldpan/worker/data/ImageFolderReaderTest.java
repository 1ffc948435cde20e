package dev.goldpan.worker.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goldpan.worker.InvalidInputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderReaderTest {

  @TempDir Path root;

  @Test
  void readsColourImagesWithClassesFromTheTrainFolders() throws Exception {
    writeRgb("train/cat/b.png", 0x102030);
    writeRgb("train/cat/a.png", 0x405060);
    writeRgb("train/ant/1.png", 0xFF0000);
    writeRgb("test/cat/x.png", 0x00FF00);
    Files.writeString(root.resolve("train/cat/notes.txt"), "not an image");

    LabeledDataset dataset = new ImageFolderReader().read(root);

    assertThat(dataset.classNames()).containsExactly("ant", "cat");
    assertThat(dataset.train().size()).isEqualTo(3);
    assertThat(dataset.train().channels()).isEqualTo(3);
    assertThat(dataset.train().height()).isEqualTo(2);
    assertThat(dataset.train().width()).isEqualTo(3);
    assertThat(dataset.train().labels()).containsExactly(0, 1, 1);
    assertThat(dataset.test().labels()).containsExactly(1);
    assertThat(dataset.files())
        .containsExactly(
            root.resolve("train/ant/1.png"),
            root.resolve("train/cat/a.png"),
            root.resolve("train/cat/b.png"),
            root.resolve("test/cat/x.png"));
    // Second train image (train/cat/a.png): planes of 6 pixels, R = 0x40, G = 0x50, B = 0x60.
    float[] pixels = dataset.train().pixels();
    assertThat(pixels[18]).isEqualTo(0x40 / 255f);
    assertThat(pixels[18 + 6]).isEqualTo(0x50 / 255f);
    assertThat(pixels[18 + 12 + 5]).isEqualTo(0x60 / 255f);
  }

  @Test
  void readsGrayscaleImagesAsOneChannel() throws Exception {
    writeGray("train/0/a.png", 200, 4, 4);
    writeGray("train/1/a.png", 10, 4, 4);
    writeGray("test/0/a.png", 0, 4, 4);

    LabeledDataset dataset = new ImageFolderReader().read(root);

    assertThat(dataset.train().channels()).isEqualTo(1);
    assertThat(dataset.train().pixels()).hasSize(2 * 16);
    assertThat(dataset.train().pixels()[0]).isEqualTo(200 / 255f);
    assertThat(dataset.train().pixels()[16]).isEqualTo(10 / 255f);
  }

  @Test
  void reportsAnImageOfAnotherSize() throws Exception {
    writeGray("train/a/1.png", 1, 4, 4);
    writeGray("train/b/1.png", 1, 4, 5);
    writeGray("test/a/1.png", 1, 4, 4);

    assertThatThrownBy(() -> new ImageFolderReader().read(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(root.resolve("train/b/1.png") + " is 1x4x5")
        .hasMessageContaining(root.resolve("train/a/1.png") + " is 1x4x4")
        .hasMessageContaining("must share one size");
  }

  @Test
  void reportsUnknownTestClassesAndUnreadableImages() throws Exception {
    writeGray("train/a/1.png", 1, 4, 4);
    writeGray("test/z/1.png", 1, 4, 4);
    assertThatThrownBy(() -> new ImageFolderReader().read(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(root.resolve("test/z") + " is not a class of");

    Files.delete(root.resolve("test/z/1.png"));
    Files.delete(root.resolve("test/z"));
    Files.createDirectories(root.resolve("test/a"));
    Files.writeString(root.resolve("test/a/broken.png"), "not a png");
    assertThatThrownBy(() -> new ImageFolderReader().read(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(root.resolve("test/a/broken.png").toString());
  }

  @Test
  void reportsAMissingSplit() throws Exception {
    writeGray("train/a/1.png", 1, 4, 4);

    assertThatThrownBy(() -> new ImageFolderReader().read(root))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(root + " has no test/ directory");
  }

  private void writeRgb(String name, int rgb) throws IOException {
    BufferedImage image = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 2; y++) {
      for (int x = 0; x < 3; x++) {
        image.setRGB(x, y, rgb);
      }
    }
    write(name, image);
  }

  private void writeGray(String name, int value, int height, int width) throws IOException {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.getRaster().setSample(x, y, 0, value);
      }
    }
    write(name, image);
  }

  private void write(String name, BufferedImage image) throws IOException {
    Path file = root.resolve(name);
    Files.createDirectories(file.getParent());
    ImageIO.write(image, "png", file.toFile());
  }
}
