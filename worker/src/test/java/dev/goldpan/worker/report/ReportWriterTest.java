package dev.goldpan.worker.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.goldpan.api.v1alpha1.DropEnd;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.io.Npy;
import dev.goldpan.worker.io.NpyArray;
import dev.goldpan.worker.stage.StaticSelection;
import dev.goldpan.worker.stage.Workspace;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class ReportWriterTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String JOB_NAME = "cifar-dm <script>alert('x')</script>";
  private static final List<String> SECTIONS =
      List.of(
          "synthetic", "loss-curve", "scores", "kept-per-class", "causal", "accuracy", "timings");

  private static final int CLASSES = 4;
  private static final int SAMPLES = 400;
  private static final double KEEP_RATIO = 0.7;

  /** The synthetic grid: 4 rows (classes) of 10 images of 8x8 pixels, no gutters. */
  private static final int GRID_WIDTH = 80;

  private static final int GRID_HEIGHT = 32;

  @TempDir Path directory;

  @Test
  void writesOneSelfContainedPageWithEverySection() throws Exception {
    Workspace workspace = new Workspace(directory);
    List<String> published = new ArrayList<>();
    workspace.setPublisher(file -> published.add(file.getFileName().toString()));
    float[] scores = scores();
    int[][] kept = StaticSelection.keep(labels(), CLASSES, scores, KEEP_RATIO, DropEnd.LARGEST, 10);
    Npy.write(workspace.file("scores.npy"), NpyArray.float32(scores, SAMPLES));
    writeJson(workspace, "selection.json", selection(kept));
    writeJson(workspace, "manifest.json", manifest(true));
    writeJson(workspace, "evaluation.json", evaluation());
    writeGrid(workspace.file("synthetic.png"));

    Path report = ReportWriter.write(workspace);

    assertThat(report).isEqualTo(workspace.file("report.html"));
    assertThat(published).containsExactly("report.html");
    String html = Files.readString(report, StandardCharsets.UTF_8);
    Document page = parse(html);

    assertThat(sectionIds(page)).containsExactlyElementsOf(SECTIONS);
    assertThat(texts(page, "h2"))
        .containsExactly(
            "Synthetic images",
            "Distillation loss",
            "Level-1 scores",
            "Kept samples per class",
            "Causal effects over time",
            "Test accuracy",
            "Stage timings");
    assertThat(texts(page, "p"))
        .noneMatch(text -> text.contains("is missing") || text.contains("not marked"));

    List<BufferedImage> images = images(page);
    assertThat(images).hasSize(5);
    assertThat(images.get(0).getWidth()).isEqualTo(GRID_WIDTH);
    assertThat(images.get(0).getHeight()).isEqualTo(GRID_HEIGHT);
    for (BufferedImage chart : images.subList(1, images.size())) {
      assertThat(chart.getWidth()).isEqualTo(ReportCharts.WIDTH);
      assertThat(chart.getHeight()).isEqualTo(ReportCharts.HEIGHT);
      assertThat(distinctColours(chart)).as("a drawn chart, not a blank image").isGreaterThan(10);
    }

    double cut = maxKeptScore(scores, kept);
    assertThat(sectionText(page, "scores"))
        .contains(String.format(Locale.ROOT, "largest kept score, %.4g", cut))
        .contains("Selection is per class");
    assertThat(countPixels(images.get(2), 0xC44E52)).as("the cut's red line").isGreaterThan(100);

    assertThat(tableRows(page, "accuracy"))
        .containsExactly(
            List.of("trained on", "accuracy (mean ± std)", "models", "individual accuracies"),
            List.of("synthetic", "45.77 ± 0.50 %", "3", "45.12 %, 46.33 %, 45.87 %"),
            List.of("random-real", "27.40 ± 1.10 %", "2", "26.30 %, 28.50 %"));
    assertThat(tableRows(page, "timings"))
        .extracting(row -> row.subList(0, 3))
        .containsExactly(
            List.of("stage", "seconds", "device"),
            List.of("score-0", "61.2", "gpu:0"),
            List.of("select", "0.4", "cpu"),
            List.of("distill", "1834.6", "gpu:0"),
            List.of("evaluate", "402.0", "gpu:0"));
    assertThat(sectionText(page, "causal")).contains("3 refreshes").contains("1400 real samples");

    assertThat(html).doesNotContain("<script").contains("&lt;script&gt;alert(&#39;x&#39;)");
    assertThat(texts(page, "h1")).containsExactly("Goldpan report: " + JOB_NAME);
    String header = text(page.getElementsByTagName("header").item(0));
    assertThat(header)
        .contains("cifar10, s3://datasets/cifar10 (train 400, test 100, 4 classes)")
        .contains("0123456789ab…")
        .doesNotContain("0123456789abc")
        .contains("gpu:0, cpu")
        .contains("djl 0.36.0")
        .contains("Seed")
        .contains("1234");
    assertSelfContained(html);
  }

  @Test
  void saysWhatIsMissingWhenOnlyTheSelectionHasRun() throws Exception {
    Workspace workspace = new Workspace(directory);
    int[][] kept =
        StaticSelection.keep(labels(), CLASSES, scores(), KEEP_RATIO, DropEnd.LARGEST, 10);
    writeJson(workspace, "selection.json", selection(kept));
    ObjectNode manifest = manifest(false);
    manifest.remove("distillation");
    ((ObjectNode) manifest.get("stages")).retain("select");
    writeJson(workspace, "manifest.json", manifest);

    String html = Files.readString(ReportWriter.write(workspace), StandardCharsets.UTF_8);
    Document page = parse(html);

    assertThat(sectionIds(page)).containsExactlyElementsOf(SECTIONS);
    assertThat(images(page)).as("only the kept-per-class chart").hasSize(1);
    assertThat(sectionText(page, "synthetic")).contains("synthetic.png is missing");
    assertThat(sectionText(page, "loss-curve")).contains("no distillation.lossCurve");
    assertThat(sectionText(page, "scores")).contains("scores.npy is missing");
    assertThat(sectionText(page, "kept-per-class")).contains("Kept 280 of 400 real samples");
    assertThat(sectionText(page, "causal")).contains("Causal selection (level 2) is disabled");
    assertThat(sectionText(page, "accuracy")).contains("evaluation.json is missing");
    assertThat(tableRows(page, "timings")).hasSize(2);
    assertSelfContained(html);
  }

  @Test
  void cutIsTheLoosestBoundaryOverTheClasses() {
    float[] scores = {5, 1, 3, 9, 2, 7};
    int[][] kept = {{1, 2}, {4, 5}};

    assertThat(ReportWriter.cut(scores, kept, DropEnd.LARGEST)).hasValue(7);
    assertThat(ReportWriter.cut(scores, kept, DropEnd.SMALLEST)).hasValue(1);
    assertThatThrownBy(() -> ReportWriter.cut(scores, new int[][] {{6}}, DropEnd.LARGEST))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("keeps sample 6")
        .hasMessageContaining("holds 6 scores");
  }

  private static int[] labels() {
    int[] labels = new int[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
      labels[i] = i % CLASSES;
    }
    return labels;
  }

  /** Loss-like scores: positive, skewed, class-dependent. */
  private static float[] scores() {
    Random random = new Random(7);
    float[] scores = new float[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
      scores[i] = (float) Math.exp(0.6 * random.nextGaussian() + 0.2 * (i % CLASSES));
    }
    return scores;
  }

  private static double maxKeptScore(float[] scores, int[][] kept) {
    double max = Double.NEGATIVE_INFINITY;
    for (int[] indices : kept) {
      for (int index : indices) {
        max = Math.max(max, scores[index]);
      }
    }
    return max;
  }

  private static ObjectNode selection(int[][] kept) {
    ObjectNode selection = JSON.createObjectNode();
    selection.put("criterion", "loss-init");
    selection.put("drop", "largest");
    selection.put("keepRatio", KEEP_RATIO);
    selection.put("imagesPerClass", 10);
    ArrayNode perClass = selection.putArray("keptPerClass");
    ArrayNode indices = selection.putArray("indices");
    int total = 0;
    for (int[] classIndices : kept) {
      perClass.add(classIndices.length);
      ArrayNode array = indices.addArray();
      for (int index : classIndices) {
        array.add(index);
      }
      total += classIndices.length;
    }
    selection.put("kept", total);
    selection.put("total", SAMPLES);
    return selection;
  }

  /** A manifest as StageRunner writes it after all stages. */
  private static ObjectNode manifest(boolean causal) {
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("name", JOB_NAME);
    ObjectNode spec = manifest.putObject("spec");
    spec.putObject("distillation").put("algorithm", "dm");
    spec.putObject("selection").putObject("causal").put("enabled", causal);
    ObjectNode versions = manifest.putObject("versions");
    versions.put("goldpan", "development");
    versions.put("djl", "0.36.0");
    versions.put("engine", "PyTorch 2.7.1");
    versions.put("java", "17.0.15+6");
    manifest.put("seed", 1234);
    ObjectNode dataset = manifest.putObject("dataset");
    dataset.put("format", "cifar10");
    dataset.put("source", "s3://datasets/cifar10");
    dataset.put("sha256", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    dataset.put("train", SAMPLES);
    dataset.put("test", 100);
    dataset.put("classes", CLASSES);
    dataset.putArray("classNames").add("airplane").add("automobile").add("bird").add("cat");
    ObjectNode stages = manifest.putObject("stages");
    stage(stages, "score-0", 61.2, "gpu:0", "scored 400 samples (loss-init)");
    stage(stages, "select", 0.4, "cpu", "kept 280 real samples");
    stage(stages, "distill", 1834.6, "gpu:0", "distilled 40 images in 2000 iterations");
    stage(stages, "evaluate", 402.0, "gpu:0", "test accuracy 0.4577 +- 0.0050 over 3 models");
    ArrayNode curve = manifest.putObject("distillation").putArray("lossCurve");
    for (int iteration = 0; iteration <= 2000; iteration += 50) {
      curve.addArray().add(iteration).add(40.0 * Math.exp(-iteration / 400.0) + 0.5);
    }
    if (causal) {
      ArrayNode refreshes = manifest.putObject("causal").putArray("refreshes");
      for (int r = 0; r < 3; r++) {
        double scale = 1.0 / (1 + r);
        ObjectNode refresh = refreshes.addObject();
        refresh.put("iteration", 500 * r);
        refresh.put("active", 1400);
        ArrayNode quantiles = refresh.putArray("quantiles");
        for (double q : new double[] {0.01, 0.2, 0.35, 0.6, 2.4}) {
          quantiles.add(q * scale);
        }
      }
    }
    return manifest;
  }

  private static void stage(
      ObjectNode stages, String name, double seconds, String device, String message) {
    ObjectNode stage = stages.putObject(name);
    stage.put("startedAt", "2025-01-01T00:00:00Z");
    stage.put("finishedAt", "2025-01-01T00:30:00Z");
    stage.put("seconds", seconds);
    stage.put("device", device);
    stage.putObject("summary").put("stage", name).put("message", message);
  }

  private static ObjectNode evaluation() {
    ObjectNode evaluation = JSON.createObjectNode();
    evaluation.put("models", 3);
    evaluation.put("epochs", 300);
    evaluation.put("syntheticImages", 40);
    ObjectNode synthetic = evaluation.putObject("synthetic");
    synthetic.putArray("accuracies").add(0.4512).add(0.4633).add(0.4587);
    synthetic.put("mean", 0.4577);
    synthetic.put("std", 0.0050);
    ObjectNode random = evaluation.putObject("baselines").putObject("random-real");
    random.putArray("accuracies").add(0.263).add(0.285);
    random.put("mean", 0.274);
    random.put("std", 0.011);
    return evaluation;
  }

  private static void writeJson(Workspace workspace, String name, ObjectNode content)
      throws IOException {
    JSON.writeValue(workspace.file(name).toFile(), content);
  }

  private static void writeGrid(Path file) throws IOException {
    BufferedImage grid = new BufferedImage(GRID_WIDTH, GRID_HEIGHT, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < GRID_HEIGHT; y++) {
      for (int x = 0; x < GRID_WIDTH; x++) {
        grid.setRGB(x, y, (x * 3) << 16 | (y * 7) << 8 | ((x + y) % 2) * 255);
      }
    }
    assertThat(ImageIO.write(grid, "png", file.toFile())).isTrue();
  }

  private static Document parse(String html) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setExpandEntityReferences(false);
    return factory
        .newDocumentBuilder()
        .parse(new ByteArrayInputStream(html.getBytes(StandardCharsets.UTF_8)));
  }

  private static List<String> sectionIds(Document page) {
    List<String> ids = new ArrayList<>();
    NodeList sections = page.getElementsByTagName("section");
    for (int i = 0; i < sections.getLength(); i++) {
      ids.add(((Element) sections.item(i)).getAttribute("id"));
    }
    return ids;
  }

  private static Element section(Document page, String id) {
    NodeList sections = page.getElementsByTagName("section");
    for (int i = 0; i < sections.getLength(); i++) {
      Element section = (Element) sections.item(i);
      if (section.getAttribute("id").equals(id)) {
        return section;
      }
    }
    throw new AssertionError("no section " + id);
  }

  private static String sectionText(Document page, String id) {
    return text(section(page, id));
  }

  private static List<String> texts(Document page, String tag) {
    List<String> texts = new ArrayList<>();
    NodeList elements = page.getElementsByTagName(tag);
    for (int i = 0; i < elements.getLength(); i++) {
      texts.add(text(elements.item(i)));
    }
    return texts;
  }

  private static String text(org.w3c.dom.Node node) {
    return node.getTextContent().strip();
  }

  private static List<List<String>> tableRows(Document page, String sectionId) {
    List<List<String>> rows = new ArrayList<>();
    NodeList tableRows = section(page, sectionId).getElementsByTagName("tr");
    for (int r = 0; r < tableRows.getLength(); r++) {
      List<String> cells = new ArrayList<>();
      NodeList children = tableRows.item(r).getChildNodes();
      for (int c = 0; c < children.getLength(); c++) {
        if (children.item(c) instanceof Element cell) {
          cells.add(text(cell));
        }
      }
      rows.add(cells);
    }
    return rows;
  }

  /** Every image of the page, decoded from its data URI. */
  private static List<BufferedImage> images(Document page) throws IOException {
    String prefix = "data:image/png;base64,";
    List<BufferedImage> images = new ArrayList<>();
    NodeList elements = page.getElementsByTagName("img");
    for (int i = 0; i < elements.getLength(); i++) {
      String source = ((Element) elements.item(i)).getAttribute("src");
      assertThat(source).startsWith(prefix);
      byte[] png = Base64.getDecoder().decode(source.substring(prefix.length()));
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
      assertThat(image).as("image %d decodes", i).isNotNull();
      assertThat(image.getWidth()).isPositive();
      assertThat(image.getHeight()).isPositive();
      images.add(image);
    }
    return images;
  }

  private static void assertSelfContained(String html) {
    assertThat(html)
        .doesNotContainPattern("(?i)https?:")
        .doesNotContainPattern("(?i)<(script|link|iframe|object|embed)\\b")
        .doesNotContainPattern("(?i)\\bhref=")
        .doesNotContainPattern("(?i)url\\(")
        .doesNotContainPattern("(?i)\\bsrc=\"(?!data:image/png;base64,)");
  }

  private static long distinctColours(BufferedImage image) {
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 2) {
      for (int x = 0; x < image.getWidth(); x += 2) {
        colours.add(image.getRGB(x, y) & 0xFFFFFF);
      }
    }
    return colours.size();
  }

  private static int countPixels(BufferedImage image, int rgb) {
    int count = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        count += (image.getRGB(x, y) & 0xFFFFFF) == rgb ? 1 : 0;
      }
    }
    return count;
  }
}
