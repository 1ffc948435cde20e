package dev.goldpan.worker.task;

import dev.goldpan.worker.InvalidInputException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Turns the URIs of a spec into local paths: {@code file:///p} is {@code /p}; {@code pvc://claim/p}
 * is {@code p} under the claim's mount ({@code --volume claim=DIR}, else {@code
 * <volumeRoot>/<claim>}, where the operator mounts claims); {@code s3://bucket/prefix} is what its
 * {@link Remote} brings into a local directory (none by default: then s3:// is refused).
 */
public final class Locations {

  /** Brings a remote location (s3://) into a local directory or file and returns its path. */
  @FunctionalInterface
  public interface Remote {
    Path fetch(String uri, String field);
  }

  /** Refuses remote locations. */
  public static final Remote NO_REMOTE =
      (uri, field) -> {
        throw new InvalidInputException(
            field + ": " + uri + " - s3:// locations are not supported without S3 settings");
      };

  /** Where worker pods find PersistentVolumeClaims: {@code /mnt/goldpan/<claim>}. */
  public static final Path DEFAULT_VOLUME_ROOT = Path.of("/mnt/goldpan");

  private final Map<String, Path> volumes;
  private final Path volumeRoot;
  private final Remote remote;

  public Locations(Map<String, Path> volumes, Path volumeRoot) {
    this(volumes, volumeRoot, NO_REMOTE);
  }

  public Locations(Map<String, Path> volumes, Path volumeRoot, Remote remote) {
    this.volumes = Map.copyOf(volumes);
    this.volumeRoot = volumeRoot;
    this.remote = remote;
  }

  /**
   * The local path of {@code uri}.
   *
   * @param field the spec field the URI came from, named in errors
   */
  public Path resolve(String uri, String field) {
    if (uri.startsWith("file://")) {
      String path = uri.substring("file://".length());
      if (!path.startsWith("/")) {
        throw new InvalidInputException(field + ": " + uri + " is not an absolute file:/// URI");
      }
      return Path.of(path);
    }
    if (uri.startsWith("pvc://")) {
      String rest = uri.substring("pvc://".length());
      int slash = rest.indexOf('/');
      String claim = slash < 0 ? rest : rest.substring(0, slash);
      String path = slash < 0 ? "" : rest.substring(slash + 1);
      if (claim.isEmpty()) {
        throw new InvalidInputException(field + ": " + uri + " names no claim");
      }
      Path mount = volumes.getOrDefault(claim, volumeRoot.resolve(claim)).normalize();
      Path resolved = mount.resolve(path).normalize();
      if (!resolved.startsWith(mount)) {
        throw new InvalidInputException(field + ": " + uri + " leaves its claim's volume");
      }
      return resolved;
    }
    if (uri.startsWith("s3://")) {
      return remote.fetch(uri, field);
    }
    throw new InvalidInputException(
        field + ": " + uri + " is not a file:///, pvc:// or s3:// location");
  }
}
