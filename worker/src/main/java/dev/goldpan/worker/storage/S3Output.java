package dev.goldpan.worker.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.goldpan.worker.StorageException;
import dev.goldpan.worker.io.AtomicFiles;
import dev.goldpan.worker.stage.Workspace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An s3:// output location seen through a local staging directory. {@link #pull} brings down what
 * the prefix already holds (so a retried stage finds earlier artifacts and checkpoints); as the
 * workspace's {@link Workspace.Publisher} it uploads every finished artifact and checkpoint at
 * once; {@link #finish} uploads {@code manifest.json} last, so a reader that sees a manifest finds
 * everything it lists. Files that the stage deletes locally after they were stored (checkpoints
 * past the newest few) are deleted from the prefix too, after the next upload. Closing it closes
 * its store.
 */
public final class S3Output implements Workspace.Publisher, AutoCloseable {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Merges of the manifest tried before giving up, each after another writer's came in between. */
  private static final int MERGE_ATTEMPTS = 50;

  private final S3Store store;
  private final S3Location location;
  private final Path directory;
  private final Set<String> stored = new HashSet<>();

  private S3Output(S3Store store, S3Location location, Path directory) {
    this.store = store;
    this.location = location;
    this.directory = directory.toAbsolutePath().normalize();
  }

  /** The default staging directory of job {@code jobName}: {@code goldpan-<job>} in the tmpdir. */
  public static Path defaultDirectory(String jobName) {
    return Path.of(
        System.getProperty("java.io.tmpdir"),
        "goldpan-" + jobName.replaceAll("[^A-Za-z0-9._-]", "_"));
  }

  /** {@link #pull} through a store of its own, made from {@code settings}. */
  public static S3Output open(S3Settings settings, S3Location location, Path directory) {
    S3Store store = new S3Store(settings);
    try {
      return pull(store, location, directory);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /** Stages {@code location} in {@code directory}, downloading what the prefix already holds. */
  public static S3Output pull(S3Store store, S3Location location, Path directory) {
    S3Output output = new S3Output(store, location, directory);
    try {
      Files.createDirectories(output.directory);
    } catch (IOException e) {
      throw new StorageException("cannot create work directory " + output.directory + ": " + e, e);
    }
    List<S3Store.StoredObject> objects = store.list(location);
    store.download(location, objects, output.directory);
    objects.forEach(object -> output.stored.add(object.name()));
    return output;
  }

  /** The local staging directory, the stage's workspace. */
  public Path directory() {
    return directory;
  }

  public S3Location location() {
    return location;
  }

  /** Uploads {@code file} at once; the manifest waits for {@link #finish}. */
  @Override
  public synchronized void published(Path file) {
    String name = name(file);
    if (!name.equals(Workspace.MANIFEST)) {
      store.upload(file, location, name);
      stored.add(name);
      deleteWithdrawn();
    }
  }

  /** Downloads {@code file}'s object when the prefix holds one (another shard stored it). */
  @Override
  public synchronized void fetch(Path file) {
    String name = name(file);
    Optional<byte[]> content = store.read(location, name);
    if (content.isPresent()) {
      AtomicFiles.write(file, out -> out.write(content.get()));
      stored.add(name);
    }
  }

  /**
   * Uploads {@code manifest.json}, last. Other members or shards of the job may have uploaded
   * theirs since {@link #pull}, or may be uploading it now; their entries are kept: the stored
   * manifest is merged under this one (objects field by field, this one winning where both have a
   * value) and written back only if it is still the version that was read (a conditional
   * PutObject). When another shard wrote in between, the merge starts again from its version.
   */
  public synchronized void finish() {
    Path manifest = directory.resolve(Workspace.MANIFEST);
    if (Files.isRegularFile(manifest)) {
      AtomicFiles.write(manifest, out -> out.write(mergeIntoStoredManifest(manifest)));
    }
    deleteWithdrawn();
  }

  /** Read, merge, conditional write, until no other writer came in between; the bytes written. */
  private byte[] mergeIntoStoredManifest(Path manifest) {
    try {
      JsonNode local = JSON.readTree(manifest.toFile());
      for (int attempt = 1; ; attempt++) {
        Optional<S3Store.Versioned> stored = store.readVersioned(location, Workspace.MANIFEST);
        JsonNode merged = local;
        if (stored.isPresent()
            && local instanceof ObjectNode localObject
            && JSON.readTree(stored.get().content()) instanceof ObjectNode storedObject) {
          mergeInto(storedObject, localObject);
          merged = storedObject;
        }
        byte[] content = JSON.writeValueAsBytes(merged);
        String etag = stored.map(S3Store.Versioned::etag).orElse(null);
        if (store.replace(location, Workspace.MANIFEST, content, etag)) {
          return content;
        }
        if (attempt == MERGE_ATTEMPTS) {
          throw new StorageException(
              "cannot update "
                  + location.uri(Workspace.MANIFEST)
                  + ": other writers changed it during each of "
                  + MERGE_ATTEMPTS
                  + " merges");
        }
        pause(attempt);
      }
    } catch (IOException e) {
      throw new StorageException("cannot merge " + manifest + " with " + location + ": " + e, e);
    }
  }

  /** A short random wait that grows with the attempt, so that contending shards spread out. */
  private static void pause(int attempt) {
    try {
      Thread.sleep(ThreadLocalRandom.current().nextLong(1, 10L * Math.min(attempt, 20) + 2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StorageException("interrupted while merging manifest.json", e);
    }
  }

  @Override
  public void close() {
    store.close();
  }

  /** Deletes from the prefix what this stage stored or pulled and has since deleted locally. */
  private void deleteWithdrawn() {
    for (Iterator<String> names = stored.iterator(); names.hasNext(); ) {
      String name = names.next();
      if (!name.equals(Workspace.MANIFEST) && !Files.exists(directory.resolve(name))) {
        store.delete(location, name);
        names.remove();
      }
    }
  }

  /** Copies {@code source} into {@code target}, recursing where both hold an object. */
  static void mergeInto(ObjectNode target, ObjectNode source) {
    Iterator<Map.Entry<String, JsonNode>> fields = source.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      JsonNode existing = target.get(field.getKey());
      if (existing instanceof ObjectNode existingObject
          && field.getValue() instanceof ObjectNode sourceObject) {
        mergeInto(existingObject, sourceObject);
      } else {
        target.set(field.getKey(), field.getValue().deepCopy());
      }
    }
  }

  private String name(Path file) {
    Path absolute = file.toAbsolutePath().normalize();
    if (!absolute.startsWith(directory)) {
      throw new StorageException(absolute + " is not in the work directory " + directory);
    }
    return directory
        .relativize(absolute)
        .toString()
        .replace(file.getFileSystem().getSeparator(), "/");
  }
}
