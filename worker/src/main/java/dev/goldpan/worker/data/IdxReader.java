package dev.goldpan.worker.data;

import dev.goldpan.api.v1alpha1.DatasetFormat;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.StorageException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads MNIST-style IDX files (MNIST, Fashion-MNIST, KMNIST) from one directory: {@value
 * #TRAIN_IMAGES}, {@value #TRAIN_LABELS}, {@value #TEST_IMAGES} and {@value #TEST_LABELS}, each
 * plain or gzipped with a {@code .gz} suffix. Images are single-channel uint8, kept as bytes.
 * Opening reads the labels; each read goes through the images file and keeps the images asked for.
 *
 * <p>The classes number the largest train label plus one. Ten classes in a directory whose name
 * contains "fashion" get the Fashion-MNIST names, any other classes are named by their label.
 */
public final class IdxReader implements DatasetReader {

  static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
  static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
  static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
  static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

  /** Magic number of an IDX file of unsigned bytes with three dimensions (N, H, W). */
  static final int IMAGES_MAGIC = 0x00000803;

  /** Magic number of an IDX file of unsigned bytes with one dimension (N). */
  static final int LABELS_MAGIC = 0x00000801;

  static final List<String> FASHION_MNIST_CLASSES =
      List.of(
          "T-shirt/top",
          "Trouser",
          "Pullover",
          "Dress",
          "Coat",
          "Sandal",
          "Shirt",
          "Sneaker",
          "Bag",
          "Ankle boot");

  private static final String GZIP_SUFFIX = ".gz";
  private static final int BUFFER_SIZE = 1 << 16;

  @Override
  public Dataset open(Path root) {
    DatasetReaders.requireDirectory(root, DatasetFormat.IDX);
    List<Path> files =
        List.of(
            locate(root, TRAIN_IMAGES),
            locate(root, TRAIN_LABELS),
            locate(root, TEST_IMAGES),
            locate(root, TEST_LABELS));
    IdxSplit train = split(files.get(0), files.get(1));
    if (train.labels().length == 0) {
      throw new InvalidInputException(files.get(0) + " holds no images");
    }
    IdxSplit test = split(files.get(2), files.get(3));
    if (test.height() != train.height() || test.width() != train.width()) {
      throw new InvalidInputException(
          files.get(2)
              + " holds images of "
              + test.height()
              + "x"
              + test.width()
              + " but "
              + files.get(0)
              + " holds "
              + train.height()
              + "x"
              + train.width());
    }
    int classes = ClassLabels.classCount(train.labels());
    ClassLabels.requireWithin(test.labels(), classes, files.get(3).toString());
    return new IdxDataset(train, test, classNames(root, classes), files);
  }

  /** The labels of one split and where its images are; images are read per {@link #read}. */
  private record IdxSplit(Path imagesFile, int[] labels, int height, int width) {}

  private record IdxDataset(
      IdxSplit train, IdxSplit test, List<String> classNames, List<Path> files) implements Dataset {

    @Override
    public int channels() {
      return 1;
    }

    @Override
    public int height() {
      return train.height();
    }

    @Override
    public int width() {
      return train.width();
    }

    @Override
    public int[] labels(Split split) {
      return (split == Split.TRAIN ? train : test).labels();
    }

    @Override
    public ImageSet read(Split split, SampleFilter filter) {
      IdxSplit part = split == Split.TRAIN ? train : test;
      int imageSize = part.height() * part.width();
      HeldImages images = new HeldImages(part.labels(), filter, imageSize);
      Path file = part.imagesFile();
      try (InputStream in = openStream(file)) {
        readHeader(in, Integer.BYTES * 4, file);
        byte[] skipped = new byte[imageSize];
        for (int i = 0; i < part.labels().length && images.wantsFrom(i); i++) {
          boolean wanted = images.wants(i);
          byte[] target = wanted ? images.pixels() : skipped;
          int read = in.readNBytes(target, wanted ? images.offset() : 0, imageSize);
          if (read < imageSize) {
            throw new InvalidInputException(
                file
                    + " is truncated: its header promises "
                    + part.labels().length
                    + " images of "
                    + part.height()
                    + "x"
                    + part.width()
                    + " but image "
                    + i
                    + " is incomplete");
          }
        }
      } catch (ZipException | EOFException e) {
        throw new InvalidInputException(
            file + " is not a valid gzip file (corrupt or truncated): " + e.getMessage(), e);
      } catch (IOException e) {
        throw new StorageException("cannot read " + file + ": " + e, e);
      }
      return images.build(1, part.height(), part.width());
    }
  }

  private static Path locate(Path root, String name) {
    Path plain = root.resolve(name);
    if (Files.isRegularFile(plain)) {
      return plain;
    }
    Path gzipped = root.resolve(name + GZIP_SUFFIX);
    if (Files.isRegularFile(gzipped)) {
      return gzipped;
    }
    throw new InvalidInputException(
        "IDX data set "
            + root
            + " has no "
            + name
            + " (nor "
            + name
            + GZIP_SUFFIX
            + "); expected "
            + String.join(", ", TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
            + ", each plain or with a "
            + GZIP_SUFFIX
            + " suffix");
  }

  /**
   * Reads the labels and the images' header, and checks that the images file is as long as its
   * header promises (for a gzipped file that takes reading it through).
   */
  private static IdxSplit split(Path imagesFile, Path labelsFile) {
    IdxContent labels = readIdx(labelsFile, LABELS_MAGIC, "labels", true);
    IdxContent images = readIdx(imagesFile, IMAGES_MAGIC, "images", false);
    if (labels.dimensions()[0] != images.dimensions()[0]) {
      throw new InvalidInputException(
          labelsFile
              + " holds "
              + labels.dimensions()[0]
              + " labels but "
              + imagesFile
              + " holds "
              + images.dimensions()[0]
              + " images; the counts must match");
    }
    int[] labelValues = new int[labels.data().length];
    for (int i = 0; i < labelValues.length; i++) {
      labelValues[i] = labels.data()[i] & 0xFF;
    }
    return new IdxSplit(imagesFile, labelValues, images.dimensions()[1], images.dimensions()[2]);
  }

  /** The dimensions from an IDX header and the unsigned bytes that follow it. */
  private record IdxContent(int[] dimensions, byte[] data) {}

  /** The header and, when {@code keep}, the data; the data's length is checked either way. */
  private static IdxContent readIdx(Path file, int expectedMagic, String kind, boolean keep) {
    try (InputStream in = openStream(file)) {
      byte[] magicBytes = readHeader(in, Integer.BYTES, file);
      int magic = ByteBuffer.wrap(magicBytes).getInt();
      if (magic != expectedMagic) {
        throw new InvalidInputException(
            String.format(
                Locale.ROOT,
                "%s is not an IDX %s file: wrong magic number 0x%08x, expected 0x%08x",
                file,
                kind,
                magic,
                expectedMagic));
      }
      int rank = expectedMagic & 0xFF;
      ByteBuffer header = ByteBuffer.wrap(readHeader(in, rank * Integer.BYTES, file));
      int[] dimensions = new int[rank];
      long byteCount = 1;
      for (int i = 0; i < rank; i++) {
        dimensions[i] = header.getInt();
        if (dimensions[i] < 0) {
          throw new InvalidInputException(
              file + " has a negative dimension " + dimensions[i] + " in its IDX header");
        }
        byteCount *= dimensions[i];
      }
      if (byteCount > Integer.MAX_VALUE - 8) {
        throw new InvalidInputException(
            file + " promises " + byteCount + " bytes in its IDX header; at most 2 GiB supported");
      }
      byte[] data = keep ? in.readNBytes((int) byteCount) : new byte[0];
      long length = keep ? data.length : in.transferTo(OutputStream.nullOutputStream());
      if (length < byteCount) {
        throw new InvalidInputException(
            file
                + " is truncated: its header promises "
                + describe(dimensions, kind)
                + " ("
                + byteCount
                + " bytes) but only "
                + length
                + " bytes follow");
      }
      return new IdxContent(dimensions, data);
    } catch (ZipException | EOFException e) {
      throw new InvalidInputException(
          file + " is not a valid gzip file (corrupt or truncated): " + e.getMessage(), e);
    } catch (IOException e) {
      throw new StorageException("cannot read " + file + ": " + e, e);
    }
  }

  private static InputStream openStream(Path file) throws IOException {
    InputStream in = Files.newInputStream(file);
    if (!file.getFileName().toString().endsWith(GZIP_SUFFIX)) {
      return in;
    }
    try {
      return new GZIPInputStream(in, BUFFER_SIZE);
    } catch (IOException e) {
      in.close();
      throw e;
    }
  }

  private static byte[] readHeader(InputStream in, int length, Path file) throws IOException {
    byte[] bytes = in.readNBytes(length);
    if (bytes.length < length) {
      throw new InvalidInputException(
          file + " is truncated: it ends inside the IDX header (" + bytes.length + " bytes)");
    }
    return bytes;
  }

  private static String describe(int[] dimensions, String kind) {
    return dimensions.length == 3
        ? dimensions[0] + " images of " + dimensions[1] + "x" + dimensions[2]
        : dimensions[0] + " " + kind;
  }

  private static List<String> classNames(Path root, int classes) {
    Path name = root.toAbsolutePath().normalize().getFileName();
    boolean fashion = name != null && name.toString().toLowerCase(Locale.ROOT).contains("fashion");
    return fashion && classes == FASHION_MNIST_CLASSES.size()
        ? FASHION_MNIST_CLASSES
        : ClassLabels.numbered(classes);
  }
}
