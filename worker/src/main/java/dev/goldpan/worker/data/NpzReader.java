package dev.goldpan.worker.data;

import dev.goldpan.api.v1alpha1.DatasetFormat;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.StorageException;
import dev.goldpan.worker.io.NpyArray;
import dev.goldpan.worker.io.Npz;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads a data set saved in the Keras layout with {@code numpy.savez}: arrays {@value #X_TRAIN},
 * {@value #Y_TRAIN}, {@value #X_TEST} and {@value #Y_TEST} in one .npz file. The root is that file
 * or a directory holding exactly one .npz file.
 *
 * <p>Images are uint8 (kept as bytes, read as x / 255) or float (used as they are), shaped [N, H,
 * W] (one channel), [N, H, W, C] with C in {1, 3, 4} (an alpha channel is dropped), or [N, C, H, W]
 * with C in {1, 3} when the last dimension is not a channel count. Labels are integers shaped [N]
 * or [N, 1]; the classes number the largest train label plus one and are named by their label.
 */
public final class NpzReader implements DatasetReader {

  static final String X_TRAIN = "x_train";
  static final String Y_TRAIN = "y_train";
  static final String X_TEST = "x_test";
  static final String Y_TEST = "y_test";

  private static final String SUFFIX = ".npz";

  @Override
  public LabeledDataset open(Path root) {
    Path file = locate(root);
    Map<String, NpyArray> arrays = Npz.read(file);
    ImageSet train = imageSet(arrays, X_TRAIN, Y_TRAIN, file);
    ImageSet test = imageSet(arrays, X_TEST, Y_TEST, file);
    if (test.channels() != train.channels()
        || test.height() != train.height()
        || test.width() != train.width()) {
      throw new InvalidInputException(
          file
              + " array "
              + X_TEST
              + " holds images of "
              + shape(test)
              + " (channels x height x width) but "
              + X_TRAIN
              + " holds "
              + shape(train));
    }
    int classes = ClassLabels.classCount(train.labels());
    ClassLabels.requireWithin(train.labels(), classes, file + " array " + Y_TRAIN);
    ClassLabels.requireWithin(test.labels(), classes, file + " array " + Y_TEST);
    return new LabeledDataset(train, test, ClassLabels.numbered(classes), List.of(file));
  }

  private static Path locate(Path root) {
    if (Files.isRegularFile(root)) {
      return root;
    }
    DatasetReaders.requireDirectory(root, DatasetFormat.NPZ);
    List<Path> candidates;
    try (Stream<Path> entries = Files.list(root)) {
      candidates =
          entries
              .filter(
                  entry ->
                      Files.isRegularFile(entry)
                          && entry
                              .getFileName()
                              .toString()
                              .toLowerCase(Locale.ROOT)
                              .endsWith(SUFFIX))
              .sorted()
              .toList();
    } catch (IOException e) {
      throw new StorageException("cannot list " + root + ": " + e, e);
    }
    if (candidates.size() != 1) {
      throw new InvalidInputException(
          "npz data set directory "
              + root
              + " holds "
              + (candidates.isEmpty() ? "no .npz file" : candidates.size() + " .npz files")
              + "; expected exactly one"
              + (candidates.isEmpty() ? "" : ", or name the file itself: " + candidates));
    }
    return candidates.get(0);
  }

  private static ImageSet imageSet(
      Map<String, NpyArray> arrays, String imagesName, String labelsName, Path file) {
    NpyArray images = array(arrays, imagesName, file);
    String source = file + " array " + imagesName;
    if (!List.of(NpyArray.UINT8, NpyArray.FLOAT32, NpyArray.FLOAT64).contains(images.dtype())) {
      throw new InvalidInputException(
          source + " has dtype " + images.dtype() + "; images must be uint8 or float");
    }
    int[] shape = images.shape();
    boolean channelsLast = shape.length == 4 && List.of(1, 3, 4).contains(shape[3]);
    boolean channelsFirst = shape.length == 4 && !channelsLast && List.of(1, 3).contains(shape[1]);
    if (shape.length != 3 && !channelsLast && !channelsFirst) {
      throw new InvalidInputException(
          source
              + " has shape "
              + Arrays.toString(shape)
              + "; expected [N, H, W], [N, H, W, C] with C in {1, 3, 4}, or [N, C, H, W] with C"
              + " in {1, 3}");
    }
    int count = shape[0];
    if (count == 0) {
      throw new InvalidInputException(source + " holds no images");
    }
    int[] labels = labels(arrays, labelsName, file, count, imagesName);
    boolean bytes = images.dtype().equals(NpyArray.UINT8);
    if (shape.length == 3 || channelsFirst) {
      int channels = shape.length == 3 ? 1 : shape[1];
      int height = shape.length == 3 ? shape[1] : shape[2];
      int width = shape.length == 3 ? shape[2] : shape[3];
      return bytes
          ? ImageSet.ofBytes(images.data(), labels, channels, height, width)
          : new ImageSet(images.floats(), labels, channels, height, width);
    }
    int[] order = channelsFirstOrder(shape[1], shape[2], shape[3]);
    int channels = Math.min(shape[3], 3);
    if (bytes) {
      byte[] stored = images.data();
      byte[] pixels = new byte[count * order.length];
      for (int image = 0; image < count; image++) {
        int sourceBase = image * shape[1] * shape[2] * shape[3];
        for (int i = 0; i < order.length; i++) {
          pixels[image * order.length + i] = stored[sourceBase + order[i]];
        }
      }
      return ImageSet.ofBytes(pixels, labels, channels, shape[1], shape[2]);
    }
    float[] stored = images.floats();
    float[] pixels = new float[count * order.length];
    for (int image = 0; image < count; image++) {
      int sourceBase = image * shape[1] * shape[2] * shape[3];
      for (int i = 0; i < order.length; i++) {
        pixels[image * order.length + i] = stored[sourceBase + order[i]];
      }
    }
    return new ImageSet(pixels, labels, channels, shape[1], shape[2]);
  }

  /**
   * For each value of an NCHW image, its offset in the NHWC image, keeping at most three channels
   * (an RGBA image loses its alpha).
   */
  private static int[] channelsFirstOrder(int height, int width, int storedChannels) {
    int channels = Math.min(storedChannels, 3);
    int plane = height * width;
    int[] order = new int[channels * plane];
    for (int pixel = 0; pixel < plane; pixel++) {
      for (int channel = 0; channel < channels; channel++) {
        order[channel * plane + pixel] = pixel * storedChannels + channel;
      }
    }
    return order;
  }

  private static int[] labels(
      Map<String, NpyArray> arrays, String name, Path file, int imageCount, String imagesName) {
    NpyArray labels = array(arrays, name, file);
    String source = file + " array " + name;
    if (!labels.isInteger()) {
      throw new InvalidInputException(
          source + " has dtype " + labels.dtype() + "; labels must be integers");
    }
    int[] shape = labels.shape();
    if (!(shape.length == 1 || (shape.length == 2 && shape[1] == 1))) {
      throw new InvalidInputException(
          source + " has shape " + Arrays.toString(shape) + "; expected [N] or [N, 1]");
    }
    if (shape[0] != imageCount) {
      throw new InvalidInputException(
          source
              + " holds "
              + shape[0]
              + " labels but "
              + imagesName
              + " holds "
              + imageCount
              + " images; the counts must match");
    }
    try {
      return labels.ints();
    } catch (IllegalStateException e) {
      throw new InvalidInputException(source + ": " + e.getMessage(), e);
    }
  }

  private static NpyArray array(Map<String, NpyArray> arrays, String name, Path file) {
    NpyArray array = arrays.get(name);
    if (array == null) {
      throw new InvalidInputException(
          file
              + " has no array "
              + name
              + "; expected "
              + String.join(", ", X_TRAIN, Y_TRAIN, X_TEST, Y_TEST)
              + " (Keras layout), found "
              + arrays.keySet());
    }
    return array;
  }

  private static String shape(ImageSet images) {
    return images.channels() + "x" + images.height() + "x" + images.width();
  }
}
