package dev.goldpan.worker.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goldpan.worker.data.ImageSet;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageGridTest {

  @TempDir Path directory;

  @Test
  void drawsGrayscaleImagesRowMajorWithGutters() throws Exception {
    // Three 2x2 images in two columns: 0.5-gray, black, and one whose top-left pixel is over 1.
    float[] pixels = {
      0.5f, 0.5f, 0.5f, 0.5f,
      0f, 0f, 0f, 0f,
      7f, -1f, 0f, 0f
    };
    ImageSet images = new ImageSet(pixels, new int[] {0, 0, 1}, 1, 2, 2);
    Path file = directory.resolve("synthetic.png");

    ImageGrid.writePng(file, images, 2, 3);
    BufferedImage grid = ImageIO.read(file.toFile());

    assertThat(grid.getWidth()).isEqualTo(2 * 2 * 3 + 3 * ImageGrid.GUTTER);
    assertThat(grid.getHeight()).isEqualTo(2 * 2 * 3 + 3 * ImageGrid.GUTTER);
    assertThat(grid.getColorModel().getNumComponents()).isEqualTo(1);
    assertThat(gray(grid, 0, 0)).as("gutter").isEqualTo(255);
    assertThat(gray(grid, 2, 2)).as("first image").isEqualTo(128);
    assertThat(gray(grid, 7, 7)).as("first image, scaled").isEqualTo(128);
    assertThat(gray(grid, 8, 2)).as("gutter between columns").isEqualTo(255);
    assertThat(gray(grid, 10, 2)).as("second image").isZero();
    assertThat(gray(grid, 2, 10)).as("third image, clamped above").isEqualTo(255);
    assertThat(gray(grid, 5, 10)).as("third image, clamped below").isZero();
    assertThat(gray(grid, 10, 10)).as("empty cell").isEqualTo(255);
  }

  @Test
  void drawsColourImagesAsRgb() throws Exception {
    // One 1x2 image: a red pixel and a (0, 0.5, 1) pixel, planes R, G, B.
    float[] pixels = {1f, 0f, 0f, 0.5f, 0f, 1f};
    ImageSet images = new ImageSet(pixels, new int[] {4}, 3, 1, 2);
    Path file = directory.resolve("colour.png");

    ImageGrid.writePng(file, images, 1, 1);
    BufferedImage grid = ImageIO.read(file.toFile());

    assertThat(grid.getWidth()).isEqualTo(2 + 2 * ImageGrid.GUTTER);
    assertThat(grid.getHeight()).isEqualTo(1 + 2 * ImageGrid.GUTTER);
    assertThat(grid.getRGB(2, 2) & 0xFFFFFF).isEqualTo(0xFF0000);
    assertThat(grid.getRGB(3, 2) & 0xFFFFFF).isEqualTo(0x0080FF);
    assertThat(grid.getRGB(0, 0) & 0xFFFFFF).isEqualTo(0xFFFFFF);
  }

  private static int gray(BufferedImage image, int x, int y) {
    return image.getRaster().getSample(x, y, 0);
  }
}
