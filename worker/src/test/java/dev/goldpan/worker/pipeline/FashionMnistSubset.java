package dev.goldpan.worker.pipeline;

import dev.goldpan.api.v1alpha1.DatasetFormat;
import dev.goldpan.worker.data.DatasetReaders;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.data.LabeledDataset;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a class-balanced subset of Debian's Fashion-MNIST as IDX files, for fast tests. */
final class FashionMnistSubset {

  static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  private FashionMnistSubset() {}

  /** The first {@code trainPerClass} / {@code testPerClass} images of each class. */
  static void write(Path directory, int trainPerClass, int testPerClass) throws IOException {
    if (!Files.isDirectory(DEBIAN_FASHION_MNIST)) {
      throw new IllegalStateException(
          DEBIAN_FASHION_MNIST + " is missing: apt-get install dataset-fashion-mnist");
    }
    LabeledDataset full = DatasetReaders.forFormat(DatasetFormat.IDX).read(DEBIAN_FASHION_MNIST);
    Files.createDirectories(directory);
    write(directory, "train", balanced(full.train(), trainPerClass, full.classes()));
    write(directory, "t10k", balanced(full.test(), testPerClass, full.classes()));
  }

  /**
   * Rewrites the training labels of a subset written by {@link #write} with a {@code fraction} of
   * them moved to another class, uniformly at random; returns the indices that were flipped.
   */
  static int[] flipTrainingLabels(Path directory, double fraction, long seed) throws IOException {
    Path file = directory.resolve("train-labels-idx1-ubyte");
    byte[] bytes = Files.readAllBytes(file);
    java.util.Random random = new java.util.Random(seed);
    int header = 8;
    java.util.List<Integer> flipped = new java.util.ArrayList<>();
    for (int i = header; i < bytes.length; i++) {
      if (random.nextDouble() < fraction) {
        bytes[i] = (byte) ((bytes[i] + 1 + random.nextInt(9)) % 10);
        flipped.add(i - header);
      }
    }
    Files.write(file, bytes);
    return flipped.stream().mapToInt(Integer::intValue).toArray();
  }

  private static ImageSet balanced(ImageSet set, int perClass, int classes) {
    int[] taken = new int[classes];
    int[] picked = new int[perClass * classes];
    int next = 0;
    for (int i = 0; i < set.size() && next < picked.length; i++) {
      int label = set.labels()[i];
      if (taken[label] < perClass) {
        taken[label]++;
        picked[next++] = i;
      }
    }
    return set.subset(picked);
  }

  private static void write(Path directory, String prefix, ImageSet set) throws IOException {
    try (DataOutputStream out = open(directory.resolve(prefix + "-images-idx3-ubyte"))) {
      out.writeInt(0x00000803);
      out.writeInt(set.size());
      out.writeInt(set.height());
      out.writeInt(set.width());
      for (float pixel : set.pixels()) {
        out.writeByte(Math.round(pixel * 255f));
      }
    }
    try (DataOutputStream out = open(directory.resolve(prefix + "-labels-idx1-ubyte"))) {
      out.writeInt(0x00000801);
      out.writeInt(set.size());
      for (int label : set.labels()) {
        out.writeByte(label);
      }
    }
  }

  private static DataOutputStream open(Path file) throws IOException {
    OutputStream out = Files.newOutputStream(file);
    return new DataOutputStream(new java.io.BufferedOutputStream(out));
  }
}
