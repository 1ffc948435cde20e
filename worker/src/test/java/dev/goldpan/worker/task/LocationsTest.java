package dev.goldpan.worker.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goldpan.worker.InvalidInputException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocationsTest {

  private static final String FIELD = "spec.dataset.source";

  private final Locations locations =
      new Locations(Map.of("datasets", Path.of("/data/local-datasets")), Path.of("/mnt/claims"));

  @Test
  void fileUriIsItsAbsolutePath() {
    assertThat(locations.resolve("file:///srv/mnist/raw", FIELD))
        .isEqualTo(Path.of("/srv/mnist/raw"));
    assertThat(locations.resolve("file:///", FIELD)).isEqualTo(Path.of("/"));
  }

  @Test
  void pvcUriOfAMappedClaimResolvesUnderItsVolume() {
    assertThat(locations.resolve("pvc://datasets/fashion/train", FIELD))
        .isEqualTo(Path.of("/data/local-datasets/fashion/train"));
    assertThat(locations.resolve("pvc://datasets", FIELD))
        .isEqualTo(Path.of("/data/local-datasets"));
    assertThat(locations.resolve("pvc://datasets/", FIELD))
        .isEqualTo(Path.of("/data/local-datasets"));
  }

  @Test
  void pvcUriOfAnUnmappedClaimResolvesUnderTheVolumeRoot() {
    assertThat(locations.resolve("pvc://results/job-1", FIELD))
        .isEqualTo(Path.of("/mnt/claims/results/job-1"));
    assertThat(locations.resolve("pvc://results", FIELD)).isEqualTo(Path.of("/mnt/claims/results"));
  }

  @Test
  void claimsMountUnderMntGoldpanByDefault() {
    Locations defaults = new Locations(Map.of(), Locations.DEFAULT_VOLUME_ROOT);

    assertThat(defaults.resolve("pvc://results/job-1", FIELD))
        .isEqualTo(Path.of("/mnt/goldpan/results/job-1"));
  }

  @Test
  void rejectsARelativeFileUri() {
    assertThatThrownBy(() -> locations.resolve("file://data/mnist", FIELD))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(FIELD)
        .hasMessageContaining("file://data/mnist")
        .hasMessageContaining("not an absolute file:/// URI");
  }

  @Test
  void rejectsAPvcUriWithoutAClaim() {
    assertThatThrownBy(() -> locations.resolve("pvc:///fashion", "spec.output.location"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("spec.output.location")
        .hasMessageContaining("names no claim");
  }

  @Test
  void rejectsAnUnknownSchemeNamingTheField() {
    assertThatThrownBy(() -> locations.resolve("https://example.com/mnist", "spec.output.location"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("spec.output.location: https://example.com/mnist")
        .hasMessageContaining("not a file:///, pvc:// or s3:// location");
    assertThatThrownBy(() -> locations.resolve("/srv/mnist", FIELD))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith(FIELD + ": /srv/mnist");
  }

  @Test
  void saysS3IsNotSupportedYet() {
    assertThatThrownBy(() -> locations.resolve("s3://bucket/mnist", FIELD))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith(FIELD + ": s3://bucket/mnist")
        .hasMessageContaining("not supported");
  }
}
