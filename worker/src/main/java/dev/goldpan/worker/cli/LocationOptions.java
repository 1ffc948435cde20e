package dev.goldpan.worker.cli;

import dev.goldpan.worker.task.Locations;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where pvc:// locations are mounted. */
final class LocationOptions {

  @Option(
      names = "--volume",
      paramLabel = "CLAIM=DIR",
      description =
          "Local directory of a PersistentVolumeClaim named in pvc:// locations (repeatable).")
  Map<String, Path> volumes = new LinkedHashMap<>();

  @Option(
      names = "--volume-root",
      paramLabel = "DIR",
      description = "Where claims without --volume are mounted (default: ${DEFAULT-VALUE}).")
  Path volumeRoot = Locations.DEFAULT_VOLUME_ROOT;

  Locations locations() {
    return new Locations(volumes, volumeRoot);
  }
}
