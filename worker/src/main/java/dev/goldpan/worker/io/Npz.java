package dev.goldpan.worker.io;

import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.StorageException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Reads and writes numpy's .npz format: a zip archive with one {@code NAME.npy} entry per array, as
 * {@code numpy.savez} (stored entries) and {@code numpy.savez_compressed} (deflated entries) write
 * it.
 */
public final class Npz {

  private static final String ENTRY_SUFFIX = ".npy";

  /** A fixed entry time, so that the same arrays always give the same bytes. */
  private static final LocalDateTime ENTRY_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

  private Npz() {}

  /**
   * Reads every array of {@code file}, keyed by name (the entry name without {@code .npy}), in the
   * archive's order. Entries that are not .npy files are skipped.
   *
   * @throws InvalidInputException if the file is missing, not a zip archive or holds an invalid
   *     array
   * @throws StorageException if the file cannot be read
   */
  public static LinkedHashMap<String, NpyArray> read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException(file + " does not exist or is not a file");
    }
    LinkedHashMap<String, NpyArray> arrays = new LinkedHashMap<>();
    try (ZipFile zip = new ZipFile(file.toFile())) {
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry entry = entries.nextElement();
        String name = entry.getName();
        if (entry.isDirectory() || !name.endsWith(ENTRY_SUFFIX)) {
          continue;
        }
        try (InputStream in = new BufferedInputStream(zip.getInputStream(entry), 1 << 16)) {
          arrays.put(
              name.substring(0, name.length() - ENTRY_SUFFIX.length()),
              Npy.read(in, file + " entry " + name));
        }
      }
    } catch (ZipException | EOFException e) {
      throw new InvalidInputException(file + " is not a valid .npz (zip) archive: " + e, e);
    } catch (IOException e) {
      throw new StorageException("cannot read " + file + ": " + e, e);
    }
    return arrays;
  }

  /**
   * Writes {@code arrays} to {@code file} atomically, one stored (uncompressed) entry per array in
   * the map's iteration order, as {@code numpy.savez} does.
   *
   * @throws StorageException if the file cannot be written
   */
  public static void write(Path file, Map<String, NpyArray> arrays) {
    AtomicFiles.write(
        file,
        out -> {
          ZipOutputStream zip = new ZipOutputStream(out);
          for (Map.Entry<String, NpyArray> array : arrays.entrySet()) {
            byte[] header = Npy.header(array.getValue());
            byte[] data = array.getValue().data();
            CRC32 crc = new CRC32();
            crc.update(header);
            crc.update(data);
            ZipEntry entry = new ZipEntry(array.getKey() + ENTRY_SUFFIX);
            entry.setMethod(ZipEntry.STORED);
            entry.setSize((long) header.length + data.length);
            entry.setCompressedSize(entry.getSize());
            entry.setCrc(crc.getValue());
            entry.setTimeLocal(ENTRY_TIME);
            zip.putNextEntry(entry);
            zip.write(header);
            zip.write(data);
            zip.closeEntry();
          }
          zip.finish();
        });
  }
}
