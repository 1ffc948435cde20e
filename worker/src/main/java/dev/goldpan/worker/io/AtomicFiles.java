package dev.goldpan.worker.io;

import dev.goldpan.worker.StorageException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files so that readers see either the old content or the complete new content, never a
 * partial file: the content goes to a temporary file in the target's directory, is flushed to disk,
 * and then replaces the target with one atomic rename. A stage killed mid-write leaves the previous
 * artifact (or checkpoint) intact.
 */
public final class AtomicFiles {

  private static final int BUFFER_SIZE = 1 << 16;

  private AtomicFiles() {}

  /** Produces the bytes of a file. */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Writes {@code content} to {@code target}, creating missing parent directories.
   *
   * @throws StorageException if the file cannot be written or moved into place
   */
  public static void write(Path target, Content content) {
    Path absolute = target.toAbsolutePath();
    Path directory = absolute.getParent();
    Path temporary =
        directory.resolve(
            "."
                + absolute.getFileName()
                + "."
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                + ".tmp");
    boolean moved = false;
    try {
      Files.createDirectories(directory);
      try (FileChannel channel =
          FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_SIZE);
        content.writeTo(out);
        out.flush();
        channel.force(true);
      }
      Files.move(
          temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      moved = true;
    } catch (IOException e) {
      throw new StorageException("cannot write " + target + ": " + e, e);
    } finally {
      if (!moved) {
        deleteTemporary(temporary);
      }
    }
  }

  private static void deleteTemporary(Path temporary) {
    try {
      Files.deleteIfExists(temporary);
    } catch (IOException e) {
      // The write already failed; that failure is the one to report, not this clean-up.
    }
  }
}
