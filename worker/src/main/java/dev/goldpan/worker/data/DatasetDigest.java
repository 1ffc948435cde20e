package dev.goldpan.worker.data;

import dev.goldpan.worker.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Fingerprints the files a data set was read from, for the manifest: the same files give the same
 * digest wherever they are mounted, and renaming, moving between class folders or changing a file
 * changes it.
 */
public final class DatasetDigest {

  private static final int BUFFER_SIZE = 1 << 16;

  private DatasetDigest() {}

  /**
   * SHA-256, as lower-case hex, over each file in the given order: its path relative to the deepest
   * directory that holds all the files (for files of one directory, its name), a zero byte, its
   * length as 8 big-endian bytes, then its content.
   *
   * @throws StorageException if a file cannot be read
   */
  public static String sha256(List<Path> files) {
    MessageDigest digest = newSha256();
    Path base = commonDirectory(files);
    byte[] buffer = new byte[BUFFER_SIZE];
    for (Path file : files) {
      Path absolute = file.toAbsolutePath().normalize();
      try (InputStream in = Files.newInputStream(absolute)) {
        digest.update(base.relativize(absolute).toString().getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        digest.update(ByteBuffer.allocate(Long.BYTES).putLong(Files.size(absolute)).array());
        for (int read = in.read(buffer); read > 0; read = in.read(buffer)) {
          digest.update(buffer, 0, read);
        }
      } catch (IOException e) {
        throw new StorageException("cannot read " + file + " for the data set digest: " + e, e);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static Path commonDirectory(List<Path> files) {
    if (files.isEmpty()) {
      return Path.of("");
    }
    Path common = files.get(0).toAbsolutePath().normalize().getParent();
    for (Path file : files) {
      Path absolute = file.toAbsolutePath().normalize();
      while (!absolute.startsWith(common)) {
        common = common.getParent();
      }
    }
    return common;
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
  }
}
