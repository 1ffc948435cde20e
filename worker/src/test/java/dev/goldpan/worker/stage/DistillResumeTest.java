package dev.goldpan.worker.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.progress.Progress;
import dev.goldpan.worker.task.Locations;
import dev.goldpan.worker.task.WorkerTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints, resume and sharding of the distill stage on a tiny data set. */
class DistillResumeTest {

  private static final int ITERATIONS = 20;

  @TempDir Path directory;
  private Path data;

  @BeforeEach
  void writeData() {
    data = TinyJobs.writeDataSet(directory.resolve("data"), 60, 15);
  }

  private Map<String, Object> settings(boolean causal, int parallelism) {
    return Map.of(
        "spec.distillation.iterations",
        ITERATIONS,
        "spec.distillation.checkpointInterval",
        5,
        "spec.distillation.parallelism",
        parallelism,
        "spec.selection.static.criterion",
        "random",
        "spec.selection.causal.enabled",
        causal,
        "spec.selection.causal.refreshInterval",
        4,
        "spec.selection.causal.keepRatio",
        0.5);
  }

  private StageContext context(String name, Map<String, Object> settings, Progress progress) {
    Path output = directory.resolve(name);
    Path manifest =
        TinyJobs.writeManifest(directory.resolve(name + ".yaml"), data, output, settings);
    StageContext context =
        new StageContext(
            WorkerTask.read(manifest),
            new Workspace(output),
            new Locations(Map.of(), Locations.DEFAULT_VOLUME_ROOT),
            stage -> progress);
    if (!context.workspace().exists(ScoreStage.fileName(0))) {
      new ScoreStage(context).run(0);
    }
    return context;
  }

  /** Progress that "kills" the stage once it reports step {@code step}. */
  private static Progress killedAt(int step) {
    return (done, total, loss) -> {
      if (done == step) {
        throw new IllegalStateException("killed at " + step);
      }
    };
  }

  private static void assertSameImages(ImageSet actual, ImageSet expected) {
    assertThat(actual.labels()).containsExactly(expected.labels());
    for (int i = 0; i < expected.pixels().length; i++) {
      assertThat(actual.pixels()[i]).isCloseTo(expected.pixels()[i], within(1e-4f));
    }
  }

  @Test
  void resumedRunEqualsUninterruptedRun() throws IOException {
    for (boolean causal : new boolean[] {false, true}) {
      StageContext uninterrupted = context("full-" + causal, settings(causal, 1), Progress.NONE);
      new DistillStage(uninterrupted).run(0);
      ImageSet expected =
          DistillStage.readSynthetic(uninterrupted.workspace(), DistillStage.SYNTHETIC);

      StageContext killed = context("killed-" + causal, settings(causal, 1), killedAt(13));
      assertThatThrownBy(() -> new DistillStage(killed).run(0))
          .hasMessageContaining("killed at 13");
      assertThat(killed.workspace().exists(DistillStage.SYNTHETIC)).isFalse();
      assertThat(killed.workspace().exists("checkpoints/distill-10.npz")).isTrue();

      StageContext resumed = context("killed-" + causal, settings(causal, 1), Progress.NONE);
      DistillStage.DistillResult result = new DistillStage(resumed).run(0);

      assertThat(result.resumedFrom()).isEqualTo(10);
      assertSameImages(
          DistillStage.readSynthetic(resumed.workspace(), DistillStage.SYNTHETIC), expected);
      if (causal) {
        assertThat(result.refreshes())
            .extracting(r -> r.iteration())
            .containsExactly(0, 4, 8, 12, 16);
      }
    }
  }

  /**
   * A job whose spec says auto keeps, when resumed, the number format its checkpoint records: the
   * run continues exactly as it began, whether or not the node it lands on computes bfloat16
   * natively. One of the two formats differs from what auto resolves to on any machine.
   */
  @Test
  void resumedAutoRunKeepsTheRecordedEmbeddingPrecision() throws IOException {
    for (String recorded : new String[] {"float32", "bfloat16"}) {
      Map<String, Object> explicit = new HashMap<>(settings(false, 1));
      explicit.put("spec.distillation.realEmbeddingPrecision", recorded);
      Map<String, Object> auto = new HashMap<>(settings(false, 1));
      auto.put("spec.distillation.realEmbeddingPrecision", "auto");
      StageContext uninterrupted = context("full-" + recorded, explicit, Progress.NONE);
      new DistillStage(uninterrupted).run(0);
      ImageSet expected =
          DistillStage.readSynthetic(uninterrupted.workspace(), DistillStage.SYNTHETIC);
      StageContext killed = context("killed-" + recorded, explicit, killedAt(13));
      assertThatThrownBy(() -> new DistillStage(killed).run(0)).hasMessageContaining("killed");

      DistillStage.DistillResult result =
          new DistillStage(context("killed-" + recorded, auto, Progress.NONE)).run(0);

      assertThat(result.resumedFrom()).isEqualTo(10);
      assertThat(result.realEmbeddingPrecision().value()).isEqualTo(recorded);
      assertSameImages(
          DistillStage.readSynthetic(killed.workspace(), DistillStage.SYNTHETIC), expected);
    }
  }

  @Test
  void corruptNewestCheckpointFallsBackToThePreviousOne() throws IOException {
    StageContext uninterrupted = context("full", settings(false, 1), Progress.NONE);
    new DistillStage(uninterrupted).run(0);
    ImageSet expected =
        DistillStage.readSynthetic(uninterrupted.workspace(), DistillStage.SYNTHETIC);
    StageContext killed = context("killed", settings(false, 1), killedAt(17));
    assertThatThrownBy(() -> new DistillStage(killed).run(0)).hasMessageContaining("killed");
    Path newest = killed.workspace().file("checkpoints/distill-15.npz");
    byte[] bytes = Files.readAllBytes(newest);
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(newest, bytes);

    DistillStage.DistillResult result =
        new DistillStage(context("killed", settings(false, 1), Progress.NONE)).run(0);

    assertThat(result.resumedFrom()).isEqualTo(10);
    assertSameImages(
        DistillStage.readSynthetic(killed.workspace(), DistillStage.SYNTHETIC), expected);
  }

  @Test
  void keepsOnlyTheNewestCheckpointsAndSkipsACompleteStage() throws IOException {
    StageContext context =
        context(
            "kept",
            Map.of(
                "spec.distillation.iterations", 40,
                "spec.distillation.checkpointInterval", 5,
                "spec.selection.static.criterion", "random"),
            Progress.NONE);
    new DistillStage(context).run(0);
    try (var files = Files.list(context.workspace().file(DistillCheckpoints.DIRECTORY))) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .containsExactlyInAnyOrder("distill-25.npz", "distill-30.npz", "distill-35.npz");
    }
    long modified =
        Files.getLastModifiedTime(context.workspace().file(DistillStage.SYNTHETIC)).toMillis();

    DistillStage.DistillResult again = new DistillStage(context).run(0);

    assertThat(again.skipped()).isTrue();
    assertThat(
            Files.getLastModifiedTime(context.workspace().file(DistillStage.SYNTHETIC)).toMillis())
        .isEqualTo(modified);
  }

  @Test
  void shardsProduceTheSameArtifactLayout() {
    StageContext sharded = context("sharded", settings(false, 2), Progress.NONE);
    new DistillStage(sharded).run(0);
    assertThat(sharded.workspace().exists(DistillStage.SYNTHETIC)).isFalse();
    new DistillStage(sharded).run(1);

    ImageSet merged = DistillStage.readSynthetic(sharded.workspace(), DistillStage.SYNTHETIC);
    assertThat(merged.labels()).containsExactly(0, 0, 1, 1, 2, 2);
    assertThat(sharded.workspace().exists(DistillStage.PREVIEW)).isTrue();
    assertThat(sharded.workspace().exists(DistillStage.shardFile(0))).isTrue();
    assertThat(DistillStage.readSynthetic(sharded.workspace(), DistillStage.shardFile(1)).labels())
        .containsExactly(1, 1);
  }
}
