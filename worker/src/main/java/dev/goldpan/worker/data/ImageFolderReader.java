package dev.goldpan.worker.data;

import dev.goldpan.api.v1alpha1.DatasetFormat;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.StorageException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.stream.Stream;

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
  public LabeledDataset open(Path root) {
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
      List<Object> images = new ArrayList<>(files.size());
      int[] labels = new int[files.size()];
      boolean deep = false; // a gray image of other than 8 bits makes a float set
      for (int i = 0; i < files.size(); i++) {
        Object image = decode(files.get(i).file());
        deep |= image instanceof float[];
        images.add(image);
        labels[i] = files.get(i).label();
      }
      int imageSize = channels * height * width;
      int total = Math.multiplyExact(files.size(), imageSize);
      if (!deep) {
        byte[] pixels = new byte[total];
        for (int i = 0; i < images.size(); i++) {
          System.arraycopy(images.get(i), 0, pixels, i * imageSize, imageSize);
        }
        return ImageSet.ofBytes(pixels, labels, channels, height, width);
      }
      float[] pixels = new float[total];
      for (int i = 0; i < images.size(); i++) {
        if (images.get(i) instanceof byte[] bytes) {
          for (int p = 0; p < imageSize; p++) {
            pixels[i * imageSize + p] = (bytes[p] & 0xFF) / 255f;
          }
        } else {
          System.arraycopy(images.get(i), 0, pixels, i * imageSize, imageSize);
        }
      }
      return new ImageSet(pixels, labels, channels, height, width);
    }

    /** The image's values, as {@link ImageDecoding#pixels} gives them. */
    private Object decode(Path file) {
      BufferedImage image = load(file);
      int imageChannels = ImageDecoding.channels(image);
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
      return ImageDecoding.pixels(image);
    }

    private static BufferedImage load(Path file) {
      try {
        return ImageDecoding.decode(Files.readAllBytes(file), file.toString());
      } catch (IOException e) {
        throw new StorageException("cannot read " + file + ": " + e, e);
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
