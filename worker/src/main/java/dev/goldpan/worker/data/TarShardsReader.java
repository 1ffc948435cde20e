package dev.goldpan.worker.data;

import dev.goldpan.api.v1alpha1.DatasetFormat;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.StorageException;
import java.awt.image.BufferedImage;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads WebDataset-style tar shards: {@code root/train/*.tar} and {@code root/test/*.tar}, each
 * shard read in name order. A sample is the run of consecutive members that share a key (the member
 * name up to the first dot of its file name): {@code <key>.png} (or {@code .jpg}, {@code .jpeg})
 * and {@code <key>.cls}, the class label as a decimal integer; other members are ignored. The
 * classes number the largest train label plus one and are named by their label. Images follow the
 * rules of {@link ImageFolderReader} (8 bits per sample, one size and channel count for all).
 *
 * <p>Opening goes through every shard once for the labels, decoding only the first image (for the
 * shape); each read goes through the shards again and decodes only the images asked for, skipping
 * shards that hold none of them. Training works best on shards whose samples are shuffled, as
 * WebDataset recommends: the scorer shuffles within chunks of consecutive samples.
 */
public final class TarShardsReader implements DatasetReader {

  static final String TRAIN = "train";
  static final String TEST = "test";
  static final String SHARD_SUFFIX = ".tar";
  static final String LABEL = "cls";
  static final List<String> IMAGE_EXTENSIONS = List.of("png", "jpg", "jpeg");

  private static final int BUFFER_SIZE = 1 << 16;
  private static final int RECORD = 512;
  private static final int END_OF_ARCHIVE = 2 * RECORD;

  @Override
  public Dataset open(Path root) {
    DatasetReaders.requireDirectory(root, DatasetFormat.TAR_SHARDS);
    List<Shard> train = scan(shards(root, TRAIN));
    List<Shard> test = scan(shards(root, TEST));
    int[] trainLabels = labels(train);
    int[] testLabels = labels(test);
    if (trainLabels.length == 0) {
      throw new InvalidInputException(root.resolve(TRAIN) + " holds no samples");
    }
    if (testLabels.length == 0) {
      throw new InvalidInputException(root.resolve(TEST) + " holds no samples");
    }
    int classes = ClassLabels.classCount(trainLabels);
    ClassLabels.requireWithin(testLabels, classes, "the test shards in " + root.resolve(TEST));
    Shard first = train.stream().filter(shard -> shard.labels().length > 0).findFirst().get();
    BufferedImage sample = firstImage(first);
    int channels = ImageDecoding.channels(sample);
    List<Path> files = new ArrayList<>();
    Stream.concat(train.stream(), test.stream()).forEach(shard -> files.add(shard.file()));
    return new TarDataset(
        new ShardSplit(train, trainLabels),
        new ShardSplit(test, testLabels),
        ClassLabels.numbered(classes),
        files,
        new Shape(channels, sample.getHeight(), sample.getWidth(), first.file()));
  }

  /** One shard file and the labels of its samples, in order. */
  private record Shard(Path file, int[] labels) {}

  private record ShardSplit(List<Shard> shards, int[] labels) {}

  /** The image shape every image must have, and the image that fixed it. */
  private record Shape(int channels, int height, int width, Path source) {}

  private record TarDataset(
      ShardSplit train, ShardSplit test, List<String> classNames, List<Path> files, Shape shape)
      implements Dataset {

    @Override
    public int channels() {
      return shape.channels();
    }

    @Override
    public int height() {
      return shape.height();
    }

    @Override
    public int width() {
      return shape.width();
    }

    @Override
    public int[] labels(Split split) {
      return (split == Split.TRAIN ? train : test).labels();
    }

    @Override
    public ImageSet read(Split split, SampleFilter filter) {
      ShardSplit part = split == Split.TRAIN ? train : test;
      int imageSize = shape.channels() * shape.height() * shape.width();
      HeldImages images = new HeldImages(part.labels(), filter, imageSize);
      int first = 0;
      for (Shard shard : part.shards()) {
        int end = first + shard.labels().length;
        if (images.wantsFrom(first) && filter.mayAcceptAny(first, end)) {
          readImages(shard, first, images);
        }
        first = end;
      }
      return images.build(shape.channels(), shape.height(), shape.width());
    }

    /** Decodes the wanted images of {@code shard}, whose first sample has index {@code first}. */
    private void readImages(Shard shard, int first, HeldImages images) {
      int[] index = {first - 1};
      walk(
          shard.file(),
          new MemberVisitor() {
            @Override
            public void sampleStarted(String key) {
              index[0]++;
            }

            @Override
            public void member(String name, String extension, TarArchiveInputStream in)
                throws IOException {
              if (IMAGE_EXTENSIONS.contains(extension) && images.wants(index[0])) {
                String member = shard.file() + " member " + name;
                BufferedImage image = ImageDecoding.decode(in.readAllBytes(), member);
                Object pixels = ImageDecoding.pixels(image);
                requireShape(image, pixels, member);
                System.arraycopy(pixels, 0, images.pixels(), images.offset(), imageSize());
              }
            }
          });
      if (index[0] - first + 1 != shard.labels().length) {
        throw new InvalidInputException(
            shard.file()
                + " now holds "
                + (index[0] - first + 1)
                + " samples, "
                + shard.labels().length
                + " when the data set was opened; it changed while being read");
      }
    }

    private int imageSize() {
      return shape.channels() * shape.height() * shape.width();
    }

    private void requireShape(BufferedImage image, Object pixels, String member) {
      int channels = ImageDecoding.channels(image);
      if (channels != shape.channels()
          || image.getHeight() != shape.height()
          || image.getWidth() != shape.width()) {
        throw new InvalidInputException(
            member
                + " is "
                + channels
                + "x"
                + image.getHeight()
                + "x"
                + image.getWidth()
                + " (channels x height x width) but "
                + shape.source()
                + " starts with "
                + shape.channels()
                + "x"
                + shape.height()
                + "x"
                + shape.width()
                + "; all images must share one size and channel count");
      }
      if (!(pixels instanceof byte[])) {
        throw new InvalidInputException(
            member + " has gray samples of other than 8 bits; tar-shards images must be 8-bit");
      }
    }
  }

  private static List<Path> shards(Path root, String split) {
    Path directory = root.resolve(split);
    if (!Files.isDirectory(directory)) {
      throw new InvalidInputException(
          "tar-shards data set "
              + root
              + " has no "
              + split
              + "/ directory; expected train/*.tar and test/*.tar, each sample a <key>.png (or"
              + " .jpg) and a <key>.cls member");
    }
    try (Stream<Path> entries = Files.list(directory)) {
      List<Path> shards =
          entries
              .filter(
                  entry ->
                      Files.isRegularFile(entry)
                          && !entry.getFileName().toString().startsWith(".")
                          && entry.getFileName().toString().endsWith(SHARD_SUFFIX))
              .sorted(Comparator.comparing(entry -> entry.getFileName().toString()))
              .toList();
      if (shards.isEmpty()) {
        throw new InvalidInputException(directory + " holds no " + SHARD_SUFFIX + " shards");
      }
      return shards;
    } catch (IOException e) {
      throw new StorageException("cannot list " + directory + ": " + e, e);
    }
  }

  /** Goes through each shard for its labels, checking that every sample is complete. */
  private static List<Shard> scan(List<Path> files) {
    List<Shard> shards = new ArrayList<>(files.size());
    for (Path file : files) {
      requireEnd(file);
      LabelCollector labels = new LabelCollector(file);
      walk(file, labels);
      labels.sampleStarted(null);
      shards.add(new Shard(file, labels.labels()));
    }
    return shards;
  }

  /**
   * Fails unless {@code file} ends as a tar archive does: whole 512-byte records, the last two of
   * them zero. A tar reader takes a truncated archive for a shorter one; this tells them apart.
   */
  private static void requireEnd(Path file) {
    try (FileChannel channel = FileChannel.open(file)) {
      long size = channel.size();
      ByteBuffer end = ByteBuffer.allocate(END_OF_ARCHIVE);
      if (size >= END_OF_ARCHIVE && size % RECORD == 0) {
        channel.read(end, size - END_OF_ARCHIVE);
      }
      if (end.position() < END_OF_ARCHIVE
          || !Arrays.equals(end.array(), new byte[END_OF_ARCHIVE])) {
        throw new InvalidInputException(
            file
                + " is not a complete tar file: it is "
                + size
                + " bytes long and does not end with two zero 512-byte records (truncated?)");
      }
    } catch (IOException e) {
      throw new StorageException("cannot read " + file + ": " + e, e);
    }
  }

  private static int[] labels(List<Shard> shards) {
    return shards.stream().flatMapToInt(shard -> Arrays.stream(shard.labels())).toArray();
  }

  /** The first image of {@code shard}, which fixes the shape of all. */
  private static BufferedImage firstImage(Shard shard) {
    BufferedImage[] found = {null};
    walk(
        shard.file(),
        new MemberVisitor() {
          @Override
          public void member(String name, String extension, TarArchiveInputStream in)
              throws IOException {
            if (found[0] == null && IMAGE_EXTENSIONS.contains(extension)) {
              found[0] = ImageDecoding.decode(in.readAllBytes(), shard.file() + " member " + name);
            }
          }
        });
    return found[0];
  }

  /** Collects a shard's labels; each sample must have one label and one image. */
  private static final class LabelCollector implements MemberVisitor {
    private final Path file;
    private final List<Integer> labels = new ArrayList<>();
    private String key;
    private Integer label;
    private boolean image;

    LabelCollector(Path file) {
      this.file = file;
    }

    @Override
    public void sampleStarted(String next) {
      if (key != null) {
        if (label == null || !image) {
          throw new InvalidInputException(
              file
                  + " sample "
                  + key
                  + " has no "
                  + (label == null ? "<key>." + LABEL + " member (its class label)" : "image")
                  + "; each sample needs a <key>.png (or .jpg) and a <key>."
                  + LABEL
                  + " member, next to each other");
        }
        labels.add(label);
      }
      key = next;
      label = null;
      image = false;
    }

    @Override
    public void member(String name, String extension, TarArchiveInputStream in) throws IOException {
      if (IMAGE_EXTENSIONS.contains(extension)) {
        if (image) {
          throw new InvalidInputException(file + " sample " + key + " has a second image " + name);
        }
        image = true;
      } else if (extension.equals(LABEL)) {
        String text = new String(in.readNBytes(32), StandardCharsets.UTF_8).strip();
        try {
          label = Integer.parseInt(text);
        } catch (NumberFormatException e) {
          label = -1;
        }
        if (label < 0) {
          throw new InvalidInputException(
              file
                  + " member "
                  + name
                  + " holds '"
                  + text
                  + "'; a ."
                  + LABEL
                  + " member holds the class label as a decimal integer (0, 1, ...)");
        }
      }
    }

    int[] labels() {
      return labels.stream().mapToInt(Integer::intValue).toArray();
    }
  }

  /** Told about each regular member of a shard, and when a new sample (key) starts. */
  private interface MemberVisitor {
    default void sampleStarted(String key) {}

    void member(String name, String extension, TarArchiveInputStream in) throws IOException;
  }

  private static void walk(Path file, MemberVisitor visitor) {
    String key = null;
    String name = null;
    try (InputStream raw = Files.newInputStream(file);
        TarArchiveInputStream in =
            new TarArchiveInputStream(new BufferedInputStream(raw, BUFFER_SIZE))) {
      for (TarArchiveEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        if (!entry.isFile()) {
          continue;
        }
        name = entry.getName();
        int slash = name.lastIndexOf('/');
        int dot = name.indexOf('.', slash + 1);
        if (dot < 0) {
          continue;
        }
        String entryKey = name.substring(0, dot);
        if (!entryKey.equals(key)) {
          key = entryKey;
          visitor.sampleStarted(key);
        }
        visitor.member(name, name.substring(dot + 1).toLowerCase(Locale.ROOT), in);
      }
    } catch (IOException e) {
      if (Files.isReadable(file)) {
        throw new InvalidInputException(
            file
                + " is not a valid tar file (corrupt or truncated"
                + (name == null ? "" : ", after member " + name)
                + "): "
                + e.getMessage(),
            e);
      }
      throw new StorageException("cannot read " + file + ": " + e, e);
    }
  }
}
