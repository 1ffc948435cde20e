package dev.goldpan.api.crd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class ChartCrdTest {

  @Test
  void chartCopyOfTheCrdIsCurrent() throws IOException {
    String generated = Files.readString(TestManifests.generatedCrd());

    assertThat(TestManifests.chartCrd()).exists();
    assertThat(Files.readString(TestManifests.chartCrd()))
        .as(
            "charts/goldpan/crds/%s is stale; refresh it with: cp %s %s",
            TestManifests.CRD_FILE, TestManifests.generatedCrd(), TestManifests.chartCrd())
        .isEqualTo(generated);
  }
}
