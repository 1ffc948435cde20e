package dev.goldpan.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.goldpan.worker.cli.GoldpanWorker;
import dev.goldpan.worker.io.Npy;
import dev.goldpan.worker.io.NpyArray;
import dev.goldpan.worker.io.Npz;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline through the CLI on a 2,000-image Fashion-MNIST subset at small settings: the
 * distilled set must beat a random real subset of the same size under the same evaluation.
 */
class FashionMnistPipelineTest {

  @TempDir Path work;

  @Test
  void distilledSetBeatsRandomRealImages() throws IOException {
    Path data = work.resolve("fashion-mnist-2k");
    FashionMnistSubset.write(data, 200, 100);
    Path manifest = work.resolve("job.yaml");
    Files.writeString(
        manifest,
        """
        apiVersion: goldpan.dev/v1alpha1
        kind: DistillationJob
        metadata: {name: fashion-mnist-2k}
        spec:
          dataset: {format: idx, source: 'pvc://fashion-mnist/'}
          model: {depth: 3, width: 32}
          selection:
            static: {criterion: loss-converge, keepRatio: 0.8, scoring: {epochs: 2, initEpochs: 1}}
          distillation: {imagesPerClass: 10, iterations: 120, batchReal: 64}
          evaluation: {models: 3, epochs: 100}
          output: {location: 'file:///unused'}
          seed: 7
        """);
    Path output = work.resolve("out");

    int exitCode =
        GoldpanWorker.execute(
            "run",
            manifest.toString(),
            "--output",
            output.toString(),
            "--volume",
            "fashion-mnist=" + data);

    assertThat(exitCode).isZero();
    JsonNode evaluation = new ObjectMapper().readTree(output.resolve("evaluation.json").toFile());
    double distilled = evaluation.at("/synthetic/mean").asDouble();
    double randomReal = evaluation.at("/baselines/random-real/mean").asDouble();
    System.out.printf(
        "distilled %.4f +- %.4f, random-real %.4f +- %.4f, margin %.1f points%n",
        distilled,
        evaluation.at("/synthetic/std").asDouble(),
        randomReal,
        evaluation.at("/baselines/random-real/std").asDouble(),
        100 * (distilled - randomReal));
    assertThat(distilled).isGreaterThan(randomReal + 0.01);

    Map<String, NpyArray> synthetic = Npz.read(output.resolve("synthetic.npz"));
    assertThat(synthetic.get("images").shape()).containsExactly(100, 1, 28, 28);
    assertThat(synthetic.get("labels").ints()).hasSize(100).contains(0, 9);
    assertThat(Npy.readFloats(output.resolve("scores.npy"))).hasSize(2000);
    BufferedImage preview = ImageIO.read(output.resolve("synthetic.png").toFile());
    assertThat(preview.getHeight()).isGreaterThan(10 * 28);
    JsonNode selection = new ObjectMapper().readTree(output.resolve("selection.json").toFile());
    assertThat(selection.path("kept").asInt()).isEqualTo(10 * 160);
    JsonNode manifestJson = new ObjectMapper().readTree(output.resolve("manifest.json").toFile());
    assertThat(manifestJson.at("/stages/distill/seconds").asDouble()).isPositive();
    assertThat(manifestJson.at("/dataset/train").asInt()).isEqualTo(2000);
  }
}
