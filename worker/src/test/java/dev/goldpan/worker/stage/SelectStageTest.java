package dev.goldpan.worker.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.io.Npy;
import dev.goldpan.worker.io.NpyArray;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelectStageTest {

  /** 12 train samples: class c holds c, c + 3, c + 6, c + 9. */
  private static final int TRAIN = 12;

  @TempDir Path directory;

  private Path data;
  private Path output;

  @BeforeEach
  void writeData() {
    data = TinyJobs.writeDataSet(directory.resolve("data"), TRAIN, 6);
    output = directory.resolve("out");
  }

  private SelectStage.SelectResult select(Map<String, Object> overrides) {
    Map<String, Object> settings = new java.util.HashMap<>(overrides);
    settings.put("spec.distillation.imagesPerClass", 1);
    Path manifest = TinyJobs.writeManifest(directory.resolve("job.yaml"), data, output, settings);
    return new SelectStage(TinyJobs.context(manifest, output)).run();
  }

  private static Map<String, Object> precomputed(Path scores, String drop) {
    return Map.of(
        "spec.selection.static.criterion",
        "precomputed",
        "spec.selection.static.scoresSource",
        "file://" + scores,
        "spec.selection.static.drop",
        drop);
  }

  private JsonNode selection() throws IOException {
    return new ObjectMapper().readTree(output.resolve(SelectStage.SELECTION).toFile());
  }

  private static List<List<Integer>> indices(JsonNode selection) {
    List<List<Integer>> perClass = new ArrayList<>();
    for (JsonNode classIndices : selection.path("indices")) {
      List<Integer> kept = new ArrayList<>();
      classIndices.forEach(index -> kept.add(index.asInt()));
      perClass.add(kept);
    }
    return perClass;
  }

  /** A float64 .npy file of one dimension, as numpy.save writes it. */
  private static void writeFloat64Npy(Path file, double[] values) throws IOException {
    String header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + values.length + ",), }";
    int unpadded = 10 + header.length() + 1;
    header = header + " ".repeat((64 - unpadded % 64) % 64) + "\n";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    out.write(header.length() & 0xFF);
    out.write(header.length() >> 8);
    out.write(header.getBytes(StandardCharsets.US_ASCII));
    ByteBuffer body = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (double value : values) {
      body.putDouble(value);
    }
    out.write(body.array());
    Files.write(file, out.toByteArray());
  }

  @Test
  void keepsTheLowestPrecomputedScoresFromANpyFile() throws IOException {
    // Score i = i: dropping the largest keeps each class's first ceil(4 / 2) = 2 samples.
    double[] values = new double[TRAIN];
    for (int i = 0; i < TRAIN; i++) {
      values[i] = i;
    }
    Path scores = directory.resolve("scores.npy");
    writeFloat64Npy(scores, values);

    SelectStage.SelectResult result = select(precomputed(scores, "largest"));

    assertThat(result.kept()).isEqualTo(6);
    assertThat(result.keptPerClass()).containsExactly(2, 2, 2);
    JsonNode selection = selection();
    assertThat(indices(selection)).containsExactly(List.of(0, 3), List.of(1, 4), List.of(2, 5));
    assertThat(selection.path("criterion").asText()).isEqualTo("precomputed");
    assertThat(selection.path("drop").asText()).isEqualTo("largest");
    assertThat(selection.path("kept").asInt()).isEqualTo(6);
    assertThat(selection.path("total").asInt()).isEqualTo(TRAIN);
    assertThat(selection.path("keptPerClass").toString()).isEqualTo("[2,2,2]");
    assertThat(Npy.readFloats(output.resolve(SelectStage.SCORES)))
        .containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
  }

  @Test
  void keepsTheHighestPrecomputedScoresFromAJsonArray() throws IOException {
    // Score i = 100 - i, so dropping the smallest keeps each class's first two samples again.
    StringBuilder json = new StringBuilder("[");
    for (int i = 0; i < TRAIN; i++) {
      json.append(i == 0 ? "" : ", ").append(100 - i).append(i % 2 == 0 ? ".0" : "");
    }
    Path scores = directory.resolve("scores.json");
    Files.writeString(scores, json.append("]"));

    select(precomputed(scores, "smallest"));

    assertThat(indices(selection())).containsExactly(List.of(0, 3), List.of(1, 4), List.of(2, 5));
    float[] written = Npy.readFloats(output.resolve(SelectStage.SCORES));
    assertThat(written).hasSize(TRAIN);
    for (int i = 0; i < TRAIN; i++) {
      assertThat(written[i]).isEqualTo(100f - i);
    }
  }

  @Test
  void rejectsPrecomputedScoresOfTheWrongLength() throws IOException {
    Path scores = directory.resolve("short.json");
    Files.writeString(scores, "[1, 2, 3]");

    assertThatThrownBy(() -> select(precomputed(scores, "largest")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("spec.selection.static.scoresSource")
        .hasMessageContaining(scores.toString())
        .hasMessageContaining("3 scores")
        .hasMessageContaining(TRAIN + " samples");
    assertThat(output.resolve(SelectStage.SELECTION)).doesNotExist();
  }

  @Test
  void namesANonNumericJsonElement() throws IOException {
    Path scores = directory.resolve("bad.json");
    Files.writeString(scores, "[0.5, 1.5, \"high\", 2.5]");

    assertThatThrownBy(() -> select(precomputed(scores, "largest")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("spec.selection.static.scoresSource")
        .hasMessageContaining(scores.toString())
        .hasMessageContaining("element 2 is not a number");
  }

  @Test
  void namesAMissingScoresSource() {
    Path scores = directory.resolve("absent.npy");

    assertThatThrownBy(() -> select(precomputed(scores, "largest")))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("spec.selection.static.scoresSource")
        .hasMessageContaining(scores.toString());
  }

  @Test
  void averagesTheEnsembleMembersScores() throws IOException {
    Files.createDirectories(output);
    // By position p = i / 3 within its class, member 0 scores (0, 1, 2, 10) and keeps positions
    // 0 and 1, member 1 scores (10, 2, 1, 0) and keeps 2 and 3; their mean (5, 1.5, 1.5, 5) keeps
    // positions 1 and 2.
    float[] first = new float[TRAIN];
    float[] second = new float[TRAIN];
    float[] mean = new float[TRAIN];
    for (int i = 0; i < TRAIN; i++) {
      first[i] = new float[] {0, 1, 2, 10}[i / 3];
      second[i] = new float[] {10, 2, 1, 0}[i / 3];
      mean[i] = new float[] {5, 1.5f, 1.5f, 5}[i / 3];
    }
    Npy.write(output.resolve("scores-0.npy"), NpyArray.float32(first, TRAIN));
    Npy.write(output.resolve("scores-1.npy"), NpyArray.float32(second, TRAIN));

    select(Map.of("spec.selection.static.scoring.ensemble", 2));

    float[] written = Npy.readFloats(output.resolve(SelectStage.SCORES));
    assertThat(written).hasSize(TRAIN);
    for (int i = 0; i < TRAIN; i++) {
      assertThat(written[i]).isCloseTo(mean[i], within(1e-5f));
    }
    assertThat(indices(selection())).containsExactly(List.of(3, 6), List.of(4, 7), List.of(5, 8));
  }

  @Test
  void namesAMissingEnsembleMember() throws IOException {
    Files.createDirectories(output);
    Npy.write(output.resolve("scores-0.npy"), NpyArray.float32(new float[TRAIN], TRAIN));

    assertThatThrownBy(() -> select(Map.of("spec.selection.static.scoring.ensemble", 2)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(output.resolve("scores-1.npy").toString())
        .hasMessageContaining("ensemble member 1");
  }
}
