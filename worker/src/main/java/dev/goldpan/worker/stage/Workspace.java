package dev.goldpan.worker.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.StorageException;
import dev.goldpan.worker.io.AtomicFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * The output location of a job as a local directory: every artifact of DESIGN §4 lives here,
 * written atomically, and {@code manifest.json} is updated under a file lock because ensemble
 * members and shards may write it at the same time.
 */
public final class Workspace {

  public static final String MANIFEST = "manifest.json";

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * Told about every finished artifact or checkpoint, e.g. to upload it to an object store; asked
   * for artifacts that other pods of the job may have stored since this one started.
   */
  @FunctionalInterface
  public interface Publisher {
    Publisher NONE = file -> {};

    void published(Path file);

    /** Brings down the stored copy of {@code file}, when there is one; the default has no store. */
    default void fetch(Path file) {}
  }

  private final Path directory;
  private Publisher publisher = Publisher.NONE;

  public Workspace(Path directory) {
    this.directory = directory.toAbsolutePath();
    try {
      Files.createDirectories(this.directory);
    } catch (IOException e) {
      throw new StorageException("cannot create output directory " + this.directory + ": " + e, e);
    }
    if (!Files.isWritable(this.directory)) {
      throw new StorageException("output directory " + this.directory + " is not writable");
    }
  }

  public void setPublisher(Publisher publisher) {
    this.publisher = publisher;
  }

  /** Announces that {@code name} is complete (written atomically) and may be published. */
  public void publish(String name) {
    publisher.published(file(name));
  }

  public Path directory() {
    return directory;
  }

  public Path file(String name) {
    return directory.resolve(name);
  }

  public boolean exists(String name) {
    return Files.isRegularFile(file(name));
  }

  /**
   * Whether {@code name} exists here or, fetched now, where the workspace is published: another pod
   * of the job (a shard) may have written it since this one started.
   */
  public boolean existsAnywhere(String name) {
    if (!exists(name)) {
      publisher.fetch(file(name));
    }
    return exists(name);
  }

  /** Writes {@code value} as pretty JSON, atomically. */
  public void writeJson(String name, Object value) {
    AtomicFiles.write(file(name), out -> JSON.writeValue(new NonClosing(out), value));
    publish(name);
  }

  /** Reads an artifact written by an earlier stage. */
  public JsonNode readJson(String name) {
    Path path = file(name);
    if (!Files.isRegularFile(path)) {
      throw new InvalidInputException(
          path + " does not exist: the stage that writes it has not run");
    }
    try {
      return JSON.readTree(path.toFile());
    } catch (IOException e) {
      throw new InvalidInputException(path + " is not valid JSON: " + e.getMessage(), e);
    }
  }

  /** Applies {@code change} to manifest.json (created when absent) under an exclusive lock. */
  public void updateManifest(Consumer<ObjectNode> change) {
    Path lock = file(".manifest.lock");
    try (FileChannel channel =
            FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = channel.lock()) {
      ObjectNode manifest =
          exists(MANIFEST)
              ? (ObjectNode) JSON.readTree(file(MANIFEST).toFile())
              : JSON.createObjectNode();
      change.accept(manifest);
      writeJson(MANIFEST, manifest);
    } catch (IOException e) {
      throw new StorageException("cannot update " + file(MANIFEST) + ": " + e, e);
    }
  }

  /** Jackson closes the stream it writes; the atomic writer closes it itself. */
  private static final class NonClosing extends java.io.FilterOutputStream {
    NonClosing(java.io.OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      out.write(bytes, offset, length);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
