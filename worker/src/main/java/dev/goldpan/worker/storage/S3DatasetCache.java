package dev.goldpan.worker.storage;

import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.task.Locations;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Reads s3:// data set sources from a local cache: {@code s3://bucket/prefix} is downloaded to
 * {@code <cache>/bucket/prefix} (objects already there with the same size are not fetched again)
 * and read from there. A location that names one object (an {@code .npz} file, say) becomes that
 * one file.
 */
public final class S3DatasetCache implements Locations.Remote {

  private final Path cache;
  private final Supplier<S3Settings> settings;

  /**
   * @param settings how to reach the store, asked for only when an s3:// location is resolved
   */
  public S3DatasetCache(Path cache, Supplier<S3Settings> settings) {
    this.cache = cache.toAbsolutePath().normalize();
    this.settings = settings;
  }

  /** The cache directory: {@code goldpan-cache} under {@code java.io.tmpdir}. */
  public static Path defaultCache() {
    return Path.of(System.getProperty("java.io.tmpdir"), "goldpan-cache");
  }

  @Override
  public Path fetch(String uri, String field) {
    S3Location location = S3Location.parse(uri, field);
    Path local = cache.resolve(location.bucket());
    if (!location.prefix().isEmpty()) {
      local = local.resolve(location.prefix());
    }
    try (S3Store store = new S3Store(settings.get())) {
      if (!store.list(location).isEmpty()) {
        store.download(location, local);
        return local;
      }
      Optional<S3Store.StoredObject> single = store.find(location);
      if (single.isPresent()) {
        store.downloadObject(location, single.get(), local);
        return local;
      }
    }
    throw new InvalidInputException(field + ": " + uri + " holds no objects");
  }
}
