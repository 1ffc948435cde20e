package dev.goldpan.worker.data;

import dev.goldpan.api.v1alpha1.DatasetFormat;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.StorageException;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Reads a folder of images: {@code root/train/<class>/*.png} and {@code root/test/<class>/*.png}
 * (also {@code .jpg} and {@code .jpeg}). The classes are the sub-folders of {@code train}, sorted
 * by name; {@code test} may only use those names. Grayscale images give one channel, colour images
 * three (alpha is dropped); all images must share one size and channel count. Files are read in
 * name order, so the same folder always gives the same data set.
 */
public final class ImageFolderReader implements DatasetReader {

  static final String TRAIN = "train";
  static final String TEST = "test";

  private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg");

  @Override
  public LabeledDataset read(Path root) {
    DatasetReaders.requireDirectory(root, DatasetFormat.IMAGE_FOLDER);
    Path trainDirectory = split(root, TRAIN);
    Path testDirectory = split(root, TEST);
    List<String> classNames = new ArrayList<>();
    for (Path classDirectory : subdirectories(trainDirectory)) {
      classNames.add(classDirectory.getFileName().toString());
    }
    if (classNames.isEmpty()) {
      throw new InvalidInputException(
          trainDirectory + " has no class folders; expected one folder of images per class");
    }
    for (Path classDirectory : subdirectories(testDirectory)) {
      if (!classNames.contains(classDirectory.getFileName().toString())) {
        throw new InvalidInputException(
            classDirectory
                + " is not a class of "
                + trainDirectory
                + "; the test classes must be among "
                + classNames);
      }
    }

    List<LabeledFile> trainFiles = new ArrayList<>();
    List<LabeledFile> testFiles = new ArrayList<>();
    for (int label = 0; label < classNames.size(); label++) {
      Path trainClass = trainDirectory.resolve(classNames.get(label));
      List<Path> trainImages = images(trainClass);
      if (trainImages.isEmpty()) {
        throw new InvalidInputException(trainClass + " holds no " + EXTENSIONS + " images");
      }
      for (Path file : trainImages) {
        trainFiles.add(new LabeledFile(file, label));
      }
      Path testClass = testDirectory.resolve(classNames.get(label));
      if (Files.isDirectory(testClass)) {
        for (Path file : images(testClass)) {
          testFiles.add(new LabeledFile(file, label));
        }
      }
    }
    if (testFiles.isEmpty()) {
      throw new InvalidInputException(testDirectory + " holds no " + EXTENSIONS + " images");
    }

    ImageDecoder decoder = new ImageDecoder();
    ImageSet train = decoder.decodeAll(trainFiles);
    ImageSet test = decoder.decodeAll(testFiles);
    List<Path> files =
        Stream.concat(trainFiles.stream(), testFiles.stream()).map(LabeledFile::file).toList();
    return new LabeledDataset(train, test, classNames, files);
  }

  private record LabeledFile(Path file, int label) {}

  /** Decodes images and checks that they all share the first image's channels and size. */
  private static final class ImageDecoder {

    private Path firstFile;
    private int channels;
    private int height;
    private int width;

    ImageSet decodeAll(List<LabeledFile> files) {
      List<float[]> images = new ArrayList<>(files.size());
      int[] labels = new int[files.size()];
      for (int i = 0; i < files.size(); i++) {
        images.add(decode(files.get(i).file()));
        labels[i] = files.get(i).label();
      }
      int imageSize = channels * height * width;
      float[] pixels = new float[Math.multiplyExact(files.size(), imageSize)];
      for (int i = 0; i < images.size(); i++) {
        System.arraycopy(images.get(i), 0, pixels, i * imageSize, imageSize);
      }
      return new ImageSet(pixels, labels, channels, height, width);
    }

    private float[] decode(Path file) {
      BufferedImage image = load(file);
      boolean gray = image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
      int imageChannels = gray ? 1 : 3;
      if (firstFile == null) {
        firstFile = file;
        channels = imageChannels;
        height = image.getHeight();
        width = image.getWidth();
      } else if (imageChannels != channels
          || image.getHeight() != height
          || image.getWidth() != width) {
        throw new InvalidInputException(
            file
                + " is "
                + imageChannels
                + "x"
                + image.getHeight()
                + "x"
                + image.getWidth()
                + " (channels x height x width) but "
                + firstFile
                + " is "
                + channels
                + "x"
                + height
                + "x"
                + width
                + "; all images must share one size and channel count");
      }
      return gray ? grayPixels(image) : rgbPixels(image);
    }

    /** Gray samples read from the raster: going through RGB would apply a gamma curve. */
    private static float[] grayPixels(BufferedImage image) {
      Raster raster = image.getRaster();
      int[] samples = raster.getSamples(0, 0, image.getWidth(), image.getHeight(), 0, (int[]) null);
      float maximum = (1 << raster.getSampleModel().getSampleSize(0)) - 1;
      float[] values = new float[samples.length];
      for (int i = 0; i < samples.length; i++) {
        values[i] = samples[i] / maximum;
      }
      return values;
    }

    private static float[] rgbPixels(BufferedImage image) {
      int plane = image.getWidth() * image.getHeight();
      int[] rgb =
          image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
      float[] values = new float[3 * plane];
      for (int i = 0; i < plane; i++) {
        values[i] = ((rgb[i] >>> 16) & 0xFF) / 255f;
        values[plane + i] = ((rgb[i] >>> 8) & 0xFF) / 255f;
        values[2 * plane + i] = (rgb[i] & 0xFF) / 255f;
      }
      return values;
    }

    private static BufferedImage load(Path file) {
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(file);
      } catch (IOException e) {
        throw new StorageException("cannot read " + file + ": " + e, e);
      }
      try {
        BufferedImage image =
            ImageIO.read(new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes)));
        if (image == null) {
          throw new InvalidInputException(
              file + " is not a PNG or JPEG image this reader can decode");
        }
        return image;
      } catch (IOException e) {
        throw new InvalidInputException(file + " is not a readable image: " + e.getMessage(), e);
      }
    }
  }

  private static Path split(Path root, String name) {
    Path directory = root.resolve(name);
    if (!Files.isDirectory(directory)) {
      throw new InvalidInputException(
          "image-folder data set "
              + root
              + " has no "
              + name
              + "/ directory; expected train/<class>/*.png and test/<class>/*.png (or .jpg,"
              + " .jpeg)");
    }
    return directory;
  }

  private static List<Path> subdirectories(Path directory) {
    return list(directory, Files::isDirectory);
  }

  private static List<Path> images(Path directory) {
    return list(
        directory,
        file -> {
          String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
          return Files.isRegularFile(file) && EXTENSIONS.stream().anyMatch(name::endsWith);
        });
  }

  private static List<Path> list(Path directory, Predicate<Path> filter) {
    try (Stream<Path> entries = Files.list(directory)) {
      return entries
          .filter(entry -> !entry.getFileName().toString().startsWith("."))
          .filter(filter)
          .sorted(Comparator.comparing(entry -> entry.getFileName().toString()))
          .toList();
    } catch (IOException e) {
      throw new StorageException("cannot list " + directory + ": " + e, e);
    }
  }
}
