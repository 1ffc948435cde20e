package dev.goldpan.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NativeAllocatorTest {

  /** This process's minor page faults so far (field 10 of /proc/self/stat). */
  private static long minorFaults() throws IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    // The command name (field 2) may hold spaces; the fields after it are plain numbers.
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[10 - 3]);
  }

  /**
   * A training step's pattern, many activations made and then all freed, refaults its pages on
   * every repeat under glibc's dynamic thresholds (the arena is trimmed once they are freed); with
   * the worker's thresholds the repeats reuse the memory.
   */
  @Test
  void repeatedStepsReuseTheirMemoryInsteadOfFaultingItInAgain() throws IOException {
    assertThat(NativeAllocator.tune()).startsWith("glibc malloc: mmap threshold 32 MiB");
    int arrays = 8;
    long floats = 2L << 20; // 8 MiB each, the size of an activation pass
    long pagesPerStep = arrays * floats * Float.BYTES / 4096;
    try (NDManager manager = NDManager.newBaseManager()) {
      Runnable step =
          () -> {
            List<NDArray> activations = new ArrayList<>();
            for (int i = 0; i < arrays; i++) {
              activations.add(manager.ones(new Shape(floats)));
            }
            activations.forEach(NDArray::close);
          };
      step.run();
      step.run();
      long before = minorFaults();
      int steps = 20;
      for (int i = 0; i < steps; i++) {
        step.run();
      }
      long faults = minorFaults() - before;

      assertThat(faults)
          .as("minor page faults over %d steps that each touch %d pages", steps, pagesPerStep)
          .isLessThan(pagesPerStep);
    }
  }

  @Test
  void leavesMallocToTheEnvironmentWhenItSetsAThreshold() {
    assertThat(NativeAllocator.apply(Map.of("MALLOC_TRIM_THRESHOLD_", "0", "HOME", "/tmp")))
        .isEqualTo("glibc malloc left to the environment (MALLOC_TRIM_THRESHOLD_ is set)");
    assertThat(NativeAllocator.apply(Map.of("GLIBC_TUNABLES", "glibc.malloc.mmap_max=0")))
        .isEqualTo("glibc malloc left to the environment (GLIBC_TUNABLES is set)");
    // The arena count is not a threshold: the thresholds are still set.
    assertThat(NativeAllocator.apply(Map.of("MALLOC_ARENA_MAX", "2")))
        .startsWith("glibc malloc: mmap threshold");
  }
}
