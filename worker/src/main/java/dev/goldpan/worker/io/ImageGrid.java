package dev.goldpan.worker.io;

import dev.goldpan.worker.StorageException;
import dev.goldpan.worker.data.ImageSet;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;

/**
 * Draws a set of images as one PNG grid, for the synthetic set's preview: images left to right,
 * then top to bottom, each enlarged by an integer factor, separated and framed by white gutters.
 */
public final class ImageGrid {

  /** Width of the white lines between and around the images, in pixels of the PNG. */
  public static final int GUTTER = 2;

  private static final int WHITE_GRAY = 0xFF;
  private static final int WHITE_RGB = 0xFFFFFF;

  private ImageGrid() {}

  /**
   * Writes {@code images} to {@code file} as a PNG grid of {@code columns} columns, atomically. The
   * caller orders the images (for the synthetic set: one row per class) and de-normalises them;
   * values are clamped to [0, 1]. One channel gives a grayscale PNG, three an RGB one.
   *
   * @param scale each image pixel becomes a {@code scale} x {@code scale} block
   * @throws StorageException if the file cannot be written
   */
  public static void writePng(Path file, ImageSet images, int columns, int scale) {
    BufferedImage grid = draw(images, columns, scale);
    AtomicFiles.write(
        file,
        out -> {
          if (!ImageIO.write(grid, "png", out)) {
            throw new IOException("no PNG writer available");
          }
        });
  }

  private static BufferedImage draw(ImageSet images, int columns, int scale) {
    if (images.size() == 0 || columns < 1 || scale < 1) {
      throw new IllegalArgumentException(
          "need at least one image, one column and a scale of 1 or more; got "
              + images
              + ", "
              + columns
              + " columns, scale "
              + scale);
    }
    boolean gray = images.channels() == 1;
    if (!gray && images.channels() != 3) {
      throw new IllegalArgumentException(
          "images must have 1 or 3 channels, not " + images.channels());
    }
    int rows = (images.size() + columns - 1) / columns;
    int cellWidth = images.width() * scale;
    int cellHeight = images.height() * scale;
    int gridWidth = columns * cellWidth + (columns + 1) * GUTTER;
    int gridHeight = rows * cellHeight + (rows + 1) * GUTTER;
    int[] canvas = new int[gridWidth * gridHeight];
    Arrays.fill(canvas, gray ? WHITE_GRAY : WHITE_RGB);

    int plane = images.height() * images.width();
    float[] pixels = images.pixels();
    for (int image = 0; image < images.size(); image++) {
      int left = GUTTER + (image % columns) * (cellWidth + GUTTER);
      int top = GUTTER + (image / columns) * (cellHeight + GUTTER);
      int base = image * images.imageSize();
      for (int y = 0; y < images.height(); y++) {
        for (int x = 0; x < images.width(); x++) {
          int offset = base + y * images.width() + x;
          int value =
              gray
                  ? toByte(pixels[offset])
                  : toByte(pixels[offset]) << 16
                      | toByte(pixels[offset + plane]) << 8
                      | toByte(pixels[offset + 2 * plane]);
          for (int dy = 0; dy < scale; dy++) {
            int row = (top + y * scale + dy) * gridWidth + left + x * scale;
            Arrays.fill(canvas, row, row + scale, value);
          }
        }
      }
    }

    BufferedImage grid =
        new BufferedImage(
            gridWidth,
            gridHeight,
            gray ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
    if (gray) {
      grid.getRaster().setSamples(0, 0, gridWidth, gridHeight, 0, canvas);
    } else {
      grid.setRGB(0, 0, gridWidth, gridHeight, canvas, 0, gridWidth);
    }
    return grid;
  }

  /** {@code value} clamped to [0, 1] and scaled to 0..255; NaN becomes 0. */
  private static int toByte(float value) {
    if (!(value > 0f)) {
      return 0;
    }
    return value >= 1f ? 255 : Math.round(value * 255f);
  }
}
