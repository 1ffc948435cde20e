package dev.goldpan.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NativeAllocatorTest {

  private static final int ARRAYS = 8;
  private static final long FLOATS = 2L << 20; // 8 MiB each, the size of an activation pass
  private static final long PAGES_PER_STEP = ARRAYS * FLOATS * Float.BYTES / 4096;
  private static final int STEPS = 20;

  /**
   * A training step's pattern, many activations made and then all freed, refaults its pages on
   * every repeat under glibc's dynamic thresholds (the arena is trimmed, or its heaps unmapped,
   * once they are freed); with the worker's settings the repeats reuse the memory. Measured in a
   * fresh JVM: in this one, what earlier tests left in the arenas decides where the step lands (a
   * cold .ci/run counted 40,970 faults here; a fresh JVM counts about 4,200 with the settings and
   * 61,500 without).
   */
  @Test
  void repeatedStepsReuseTheirMemoryInsteadOfFaultingItInAgain()
      throws IOException, InterruptedException {
    Process probe =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "-cp",
                System.getProperty("java.class.path"),
                Probe.class.getName())
            .redirectErrorStream(true)
            .start();
    String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(probe.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(probe.exitValue()).as(output).isZero();
    String[] lines = output.strip().split("\n");
    assertThat(lines[lines.length - 2]).startsWith("glibc malloc: mmap threshold 32 MiB");
    long faults = Long.parseLong(lines[lines.length - 1].strip());

    assertThat(faults)
        .as("minor page faults over %d steps that each touch %d pages", STEPS, PAGES_PER_STEP)
        .isLessThan(PAGES_PER_STEP);
  }

  /** The fresh JVM's side: tunes, runs the steps, prints the allocator state and the faults. */
  static final class Probe {
    public static void main(String[] args) throws IOException {
      String state = NativeAllocator.tune();
      try (NDManager manager = NDManager.newBaseManager()) {
        // Other arrays stay alive meanwhile, as a network's and a data set's do.
        List<NDArray> resident = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          resident.add(manager.ones(new Shape(FLOATS)));
        }
        Runnable step =
            () -> {
              List<NDArray> activations = new ArrayList<>();
              for (int i = 0; i < ARRAYS; i++) {
                activations.add(manager.ones(new Shape(FLOATS)));
              }
              activations.forEach(NDArray::close);
            };
        step.run();
        step.run();
        long before = minorFaults();
        for (int i = 0; i < STEPS; i++) {
          step.run();
        }
        long faults = minorFaults() - before;
        System.out.println(state);
        System.out.println(faults);
      }
    }

    /** This process's minor page faults so far (field 10 of /proc/self/stat). */
    private static long minorFaults() throws IOException {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      // The command name (field 2) may hold spaces; the fields after it are plain numbers.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[10 - 3]);
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
