package dev.goldpan.worker.data;

import dev.goldpan.worker.InvalidInputException;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes PNG and JPEG images to CHW values: grayscale images give one channel, colour images three
 * (alpha is dropped).
 */
final class ImageDecoding {

  static {
    ImageIO.setUseCache(false);
  }

  private ImageDecoding() {}

  /**
   * Decodes {@code bytes}; {@code name} (a file, or a tar member) names the image in errors.
   *
   * @throws InvalidInputException if the bytes are no image ImageIO can read
   */
  static BufferedImage decode(byte[] bytes, String name) {
    try {
      BufferedImage image =
          ImageIO.read(new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes)));
      if (image == null) {
        throw new InvalidInputException(
            name + " is not a PNG or JPEG image this reader can decode");
      }
      return image;
    } catch (IOException | RuntimeException e) {
      if (e instanceof InvalidInputException invalid) {
        throw invalid;
      }
      throw new InvalidInputException(name + " is not a readable image: " + e.getMessage(), e);
    }
  }

  /** 1 for a grayscale image, else 3. */
  static int channels(BufferedImage image) {
    return image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY ? 1 : 3;
  }

  /**
   * The image's values: uint8 bytes, or for gray samples of other than 8 bits values in [0, 1] as a
   * float array.
   */
  static Object pixels(BufferedImage image) {
    return channels(image) == 1 ? grayPixels(image) : rgbPixels(image);
  }

  /** Gray samples read from the raster: going through RGB would apply a gamma curve. */
  private static Object grayPixels(BufferedImage image) {
    Raster raster = image.getRaster();
    int[] samples = raster.getSamples(0, 0, image.getWidth(), image.getHeight(), 0, (int[]) null);
    int bits = raster.getSampleModel().getSampleSize(0);
    if (bits == Byte.SIZE) {
      byte[] values = new byte[samples.length];
      for (int i = 0; i < samples.length; i++) {
        values[i] = (byte) samples[i];
      }
      return values;
    }
    float maximum = (1 << bits) - 1;
    float[] values = new float[samples.length];
    for (int i = 0; i < samples.length; i++) {
      values[i] = samples[i] / maximum;
    }
    return values;
  }

  private static byte[] rgbPixels(BufferedImage image) {
    int plane = image.getWidth() * image.getHeight();
    int[] rgb = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    byte[] values = new byte[3 * plane];
    for (int i = 0; i < plane; i++) {
      values[i] = (byte) (rgb[i] >>> 16);
      values[plane + i] = (byte) (rgb[i] >>> 8);
      values[2 * plane + i] = (byte) rgb[i];
    }
    return values;
  }
}
