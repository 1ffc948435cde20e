package dev.goldpan.worker.io;

import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.StorageException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes numpy's .npy format (versions 1.0 and 2.0, also 3.0 on reading): a magic string,
 * a Python-literal header with dtype, {@code fortran_order} and shape, then the raw elements.
 * Little-endian, C-order arrays of the dtypes in {@link NpyArray#SUPPORTED_DTYPES} only.
 */
public final class Npy {

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int HEADER_ALIGNMENT = 64;
  private static final int MAX_HEADER_LENGTH = 1 << 20;
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN_ORDER =
      Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private Npy() {}

  /**
   * Reads the array in {@code file}.
   *
   * @throws InvalidInputException if the file is missing or not a supported .npy file
   * @throws StorageException if the file cannot be read
   */
  public static NpyArray read(Path file) {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      return read(in, file.toString());
    } catch (NoSuchFileException e) {
      throw new InvalidInputException(file + " does not exist");
    } catch (IOException e) {
      throw new StorageException("cannot read " + file + ": " + e, e);
    }
  }

  /** Reads {@code file} and converts its elements, of any supported dtype, to floats. */
  public static float[] readFloats(Path file) {
    return read(file).floats();
  }

  /**
   * Reads one array from {@code in}, which is left positioned after the array's last byte.
   *
   * @param source names the data in error messages (a file, or an entry of an archive)
   * @throws InvalidInputException if the data is not a supported .npy array
   */
  public static NpyArray read(InputStream in, String source) throws IOException {
    byte[] magic = in.readNBytes(MAGIC.length);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new InvalidInputException(
          source + " is not a .npy file: it does not start with \\x93NUMPY");
    }
    byte[] version = readFully(in, 2, source, "version");
    int major = version[0];
    int minor = version[1];
    int headerLengthBytes =
        switch (major) {
          case 1 -> 2;
          case 2, 3 -> 4;
          default ->
              throw new InvalidInputException(
                  source
                      + " has .npy format version "
                      + major
                      + "."
                      + minor
                      + "; supported: 1.0, 2.0, 3.0");
        };
    long headerLength = littleEndian(readFully(in, headerLengthBytes, source, "header length"));
    if (headerLength > MAX_HEADER_LENGTH) {
      throw new InvalidInputException(
          source + " has a .npy header of " + headerLength + " bytes; the file is corrupt");
    }
    byte[] headerBytes = readFully(in, (int) headerLength, source, "header");
    String header =
        new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

    String dtype = dtype(header, source);
    if (headerField(FORTRAN_ORDER, header, source).equals("True")) {
      throw new InvalidInputException(
          source
              + " is stored in Fortran order (fortran_order=True); only C order is supported,"
              + " save it with numpy.ascontiguousarray(array)");
    }
    int[] shape = shape(headerField(SHAPE, header, source), source);
    long byteCount = NpyArray.elementCount(shape) * NpyArray.itemSize(dtype);
    if (byteCount > Integer.MAX_VALUE - 8) {
      throw new InvalidInputException(
          source + " holds " + byteCount + " bytes of data; arrays of at most 2 GiB are supported");
    }
    byte[] data = in.readNBytes((int) byteCount);
    if (data.length < byteCount) {
      throw new InvalidInputException(
          source
              + " is truncated: shape "
              + Arrays.toString(shape)
              + " of "
              + dtype
              + " needs "
              + byteCount
              + " bytes of data, found "
              + data.length);
    }
    return new NpyArray(dtype, shape, data);
  }

  /**
   * Writes {@code array} to {@code file} atomically.
   *
   * @throws StorageException if the file cannot be written
   */
  public static void write(Path file, NpyArray array) {
    AtomicFiles.write(file, out -> write(out, array));
  }

  /** Writes {@code array} in .npy format to {@code out}. */
  public static void write(OutputStream out, NpyArray array) throws IOException {
    out.write(header(array));
    out.write(array.data());
  }

  /**
   * The magic string, version and header of {@code array}, padded with spaces and a newline so that
   * the data starts at a multiple of 64 bytes. Version 1.0 unless the header needs more than 65535
   * bytes.
   */
  static byte[] header(NpyArray array) {
    String dictionary =
        "{'descr': '"
            + array.dtype()
            + "', 'fortran_order': False, 'shape': "
            + shapeTuple(array.shape())
            + ", }";
    int prefixLength = MAGIC.length + 2 + 2;
    int major = 1;
    if (paddedLength(prefixLength, dictionary) - prefixLength > 0xFFFF) {
      prefixLength = MAGIC.length + 2 + 4;
      major = 2;
    }
    int headerLength = paddedLength(prefixLength, dictionary) - prefixLength;
    byte[] bytes = new byte[prefixLength + headerLength];
    System.arraycopy(MAGIC, 0, bytes, 0, MAGIC.length);
    bytes[MAGIC.length] = (byte) major;
    bytes[MAGIC.length + 1] = 0;
    for (int i = 0; i < prefixLength - MAGIC.length - 2; i++) {
      bytes[MAGIC.length + 2 + i] = (byte) (headerLength >>> (8 * i));
    }
    byte[] text = dictionary.getBytes(StandardCharsets.ISO_8859_1);
    System.arraycopy(text, 0, bytes, prefixLength, text.length);
    Arrays.fill(bytes, prefixLength + text.length, bytes.length - 1, (byte) ' ');
    bytes[bytes.length - 1] = '\n';
    return bytes;
  }

  private static int paddedLength(int prefixLength, String dictionary) {
    int unpadded = prefixLength + dictionary.length() + 1;
    return (unpadded + HEADER_ALIGNMENT - 1) / HEADER_ALIGNMENT * HEADER_ALIGNMENT;
  }

  private static String shapeTuple(int[] shape) {
    if (shape.length == 1) {
      return "(" + shape[0] + ",)";
    }
    StringBuilder tuple = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      tuple.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    return tuple.append(')').toString();
  }

  private static String dtype(String header, String source) {
    String dtype = headerField(DESCR, header, source);
    if (dtype.equals("<u1")) {
      return NpyArray.UINT8;
    }
    if (dtype.startsWith(">")) {
      throw new InvalidInputException(
          source + " holds big-endian data (dtype " + dtype + "); only little-endian is supported");
    }
    if (!NpyArray.SUPPORTED_DTYPES.contains(dtype)) {
      throw new InvalidInputException(
          source + " has dtype " + dtype + "; supported: " + NpyArray.SUPPORTED_DTYPES);
    }
    return dtype;
  }

  private static String headerField(Pattern field, String header, String source) {
    Matcher matcher = field.matcher(header);
    if (!matcher.find()) {
      throw new InvalidInputException(
          source
              + " has a .npy header this reader does not understand (structured dtypes are not"
              + " supported): "
              + header.strip());
    }
    return matcher.group(1);
  }

  private static int[] shape(String tuple, String source) {
    String[] parts = tuple.split(",");
    int[] shape = new int[parts.length];
    int rank = 0;
    for (String part : parts) {
      String dimension = part.strip();
      if (dimension.endsWith("L")) {
        dimension = dimension.substring(0, dimension.length() - 1);
      }
      if (dimension.isEmpty()) {
        continue;
      }
      try {
        shape[rank] = Integer.parseInt(dimension);
      } catch (NumberFormatException e) {
        throw invalidShape(tuple, source);
      }
      if (shape[rank] < 0) {
        throw invalidShape(tuple, source);
      }
      rank++;
    }
    return Arrays.copyOf(shape, rank);
  }

  private static InvalidInputException invalidShape(String tuple, String source) {
    return new InvalidInputException(
        source + " has an invalid shape (" + tuple + ") in its .npy header");
  }

  private static byte[] readFully(InputStream in, int length, String source, String what)
      throws IOException {
    byte[] bytes = in.readNBytes(length);
    if (bytes.length < length) {
      throw new InvalidInputException(source + " is truncated: it ends inside the .npy " + what);
    }
    return bytes;
  }

  private static long littleEndian(byte[] bytes) {
    long value = 0;
    for (int i = bytes.length - 1; i >= 0; i--) {
      value = (value << 8) | (bytes[i] & 0xFF);
    }
    return value;
  }
}
