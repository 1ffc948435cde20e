package dev.goldpan.e2e.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How the process node runs an image: there are no images here, only the locally built jars. An
 * image repository (the tag is ignored) maps to an entrypoint (used when a container gives no
 * command), directories put first on PATH, and extra environment. Read from a YAML file such as
 * e2e/process-node-images.yaml; relative paths are resolved against the repository root.
 */
final class ImageMap {

  /** One image's local stand-in. */
  record LocalImage(List<String> entrypoint, List<String> path, Map<String, String> env) {}

  private final Map<String, LocalImage> images;
  private final Path root;

  private ImageMap(Map<String, LocalImage> images, Path root) {
    this.images = images;
    this.root = root;
  }

  /** The repository the images' files live in. */
  Path root() {
    return root;
  }

  static ImageMap read(Path file, Path root) {
    try {
      JsonNode yaml = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
      Map<String, LocalImage> images = new LinkedHashMap<>();
      yaml.fields()
          .forEachRemaining(
              entry -> {
                JsonNode image = entry.getValue();
                List<String> entrypoint = new ArrayList<>();
                image
                    .path("entrypoint")
                    .forEach(part -> entrypoint.add(resolve(part.asText(), root)));
                List<String> path = new ArrayList<>();
                image.path("path").forEach(dir -> path.add(root.resolve(dir.asText()).toString()));
                Map<String, String> env = new LinkedHashMap<>();
                image
                    .path("env")
                    .fields()
                    .forEachRemaining(e -> env.put(e.getKey(), expandHome(e.getValue().asText())));
                images.put(entry.getKey(), new LocalImage(entrypoint, path, env));
              });
      return new ImageMap(images, root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the image map " + file, e);
    }
  }

  /** The stand-in of {@code image} (repository[:tag][@digest]). */
  Optional<LocalImage> find(String image) {
    String repository = image.contains("@") ? image.substring(0, image.indexOf('@')) : image;
    int colon = repository.lastIndexOf(':');
    if (colon > repository.lastIndexOf('/')) {
      repository = repository.substring(0, colon);
    }
    return Optional.ofNullable(images.get(repository));
  }

  /** Parts that name files of the repository (contain a '/', no leading '-') become absolute. */
  private static String resolve(String part, Path root) {
    if (part.startsWith("-") || !part.contains("/") || part.startsWith("/")) {
      return part;
    }
    return root.resolve(part).toString();
  }

  private static String expandHome(String value) {
    return value.startsWith("~/") ? System.getProperty("user.home") + value.substring(1) : value;
  }
}
