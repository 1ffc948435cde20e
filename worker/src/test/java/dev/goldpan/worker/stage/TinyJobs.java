package dev.goldpan.worker.stage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.goldpan.worker.progress.Progress;
import dev.goldpan.worker.task.Locations;
import dev.goldpan.worker.task.WorkerTask;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Test fixtures for the stages and the command line: a tiny IDX data set of 10x10 images in three
 * classes that a small ConvNet tells apart (each class has a bright block in its own place, on
 * noise), and DistillationJob manifests with settings small enough to run in a second.
 */
public final class TinyJobs {

  public static final int SIDE = 10;
  public static final int CLASSES = 3;

  public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
  public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
  public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
  public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** Top-left corner (row, column) of each class's 3x3 bright block. */
  private static final int[][] BLOCKS = {{1, 1}, {1, 6}, {6, 3}};

  private TinyJobs() {}

  /** The true class of sample {@code i} of either split: {@code i % 3}. */
  public static int label(int i) {
    return i % CLASSES;
  }

  /** Writes train and test splits in which sample i is of class {@code i % 3}. */
  public static Path writeDataSet(Path root, int train, int test) {
    return writeDataSet(root, train, test, Set.of());
  }

  /**
   * Like {@link #writeDataSet(Path, int, int)}, but the train samples in {@code mislabeled} carry
   * the label of the next class while their images stay those of their true class.
   */
  public static Path writeDataSet(Path root, int train, int test, Set<Integer> mislabeled) {
    Random random = new Random(42);
    int[] trainLabels = new int[train];
    for (int i = 0; i < train; i++) {
      trainLabels[i] = mislabeled.contains(i) ? (label(i) + 1) % CLASSES : label(i);
    }
    int[] testLabels = new int[test];
    for (int i = 0; i < test; i++) {
      testLabels[i] = label(i);
    }
    try {
      Files.createDirectories(root);
      writeImages(root.resolve(TRAIN_IMAGES), images(train, random));
      writeLabels(root.resolve(TRAIN_LABELS), trainLabels);
      writeImages(root.resolve(TEST_IMAGES), images(test, random));
      writeLabels(root.resolve(TEST_LABELS), testLabels);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return root;
  }

  /** Sample i is noise in 0..59 with a 3x3 block in 200..255 where class i % 3 puts it. */
  private static byte[] images(int count, Random random) {
    byte[] pixels = new byte[count * SIDE * SIDE];
    for (int i = 0; i < count; i++) {
      int[] block = BLOCKS[label(i)];
      for (int y = 0; y < SIDE; y++) {
        for (int x = 0; x < SIDE; x++) {
          boolean inside = y >= block[0] && y < block[0] + 3 && x >= block[1] && x < block[1] + 3;
          int value = inside ? 200 + random.nextInt(56) : random.nextInt(60);
          pixels[i * SIDE * SIDE + y * SIDE + x] = (byte) value;
        }
      }
    }
    return pixels;
  }

  private static void writeImages(Path file, byte[] pixels) throws IOException {
    int count = pixels.length / (SIDE * SIDE);
    ByteBuffer buffer = ByteBuffer.allocate(16 + pixels.length);
    buffer.putInt(0x00000803).putInt(count).putInt(SIDE).putInt(SIDE).put(pixels);
    Files.write(file, buffer.array());
  }

  private static void writeLabels(Path file, int[] labels) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(8 + labels.length);
    buffer.putInt(0x00000801).putInt(labels.length);
    for (int label : labels) {
      buffer.put((byte) label);
    }
    Files.write(file, buffer.array());
  }

  /**
   * A DistillationJob manifest of tiny settings reading {@code data} and writing {@code output},
   * with {@code overrides} (dotted field path to value, e.g. {@code
   * "spec.selection.static.criterion" -> "random"}) applied on top.
   */
  public static String manifest(Path data, Path output, Map<String, Object> overrides) {
    ObjectNode job = YAML.createObjectNode();
    job.put("apiVersion", "goldpan.dev/v1alpha1");
    job.put("kind", "DistillationJob");
    job.putObject("metadata").put("name", "tiny");
    ObjectNode spec = job.putObject("spec");
    spec.put("seed", 7);
    spec.putObject("dataset").put("format", "idx").put("source", "file://" + data.toAbsolutePath());
    spec.putObject("model").put("architecture", "convnet").put("width", 8).put("depth", 1);
    ObjectNode selection = spec.putObject("selection").putObject("static");
    selection.put("criterion", "loss-converge").put("keepRatio", 0.5).put("drop", "largest");
    selection.putObject("scoring").put("epochs", 2).put("initEpochs", 1).put("ensemble", 1);
    spec.putObject("distillation")
        .put("imagesPerClass", 2)
        .put("iterations", 5)
        .put("batchReal", 8);
    spec.putObject("evaluation").put("models", 1).put("epochs", 2);
    spec.putObject("output").put("location", "file://" + output.toAbsolutePath());
    overrides.forEach(
        (path, value) -> {
          String[] names = path.split("\\.");
          ObjectNode node = job;
          for (int i = 0; i < names.length - 1; i++) {
            node = node.with(names[i]);
          }
          node.set(names[names.length - 1], YAML.valueToTree(value));
        });
    try {
      return YAML.writeValueAsString(job);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes {@link #manifest} to {@code file}. */
  public static Path writeManifest(
      Path file, Path data, Path output, Map<String, Object> overrides) {
    try {
      Files.writeString(file, manifest(data, output, overrides), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return file;
  }

  /** A stage context for a manifest written with {@link #writeManifest}, quiet progress. */
  public static StageContext context(Path manifest, Path output) {
    return new StageContext(
        WorkerTask.read(manifest),
        new Workspace(output),
        new Locations(Map.of(), Locations.DEFAULT_VOLUME_ROOT),
        stage -> Progress.NONE);
  }
}
