package dev.goldpan.worker.engine;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.util.List;
import java.util.Map;

/**
 * glibc malloc settings for libtorch's CPU tensors, applied once per process before the engine
 * allocates.
 *
 * <p>libtorch takes every CPU tensor from malloc. The worker's JNI calls run on a thread of the
 * JVM, not the process's first thread, so glibc serves them from a secondary arena, and its dynamic
 * thresholds return freed activations to the kernel (heap shrinking, and mmap for anything above a
 * threshold that starts at 128 KiB) only to fault the same pages in again on the next step: the
 * width-32 benchmark took 1.0-1.6 M minor page faults and 2.2-3.5 s of system time per run
 * (docs/benchmarks.md). Fixed thresholds keep blocks up to {@link #MMAP_THRESHOLD} in the arena,
 * give memory back only when more than {@link #TRIM_THRESHOLD} is free at its top, and keep {@link
 * #TOP_PAD} there. The faults fell to 0.12 M at width 32 and 0.8 M at width 128 (from 1.0-1.6 M and
 * 2.1-2.2 M), and DM, scoring and evaluation ran 7-30 % faster per CPU second. Peak memory did not
 * grow (bench/scale.sh): freed blocks are reused, not added to.
 *
 * <p>Left alone when the environment sets malloc's thresholds or glibc's tunables (the user's
 * choice wins) and on platforms other than Linux with glibc.
 */
public final class NativeAllocator {

  /**
   * Blocks up to this size come from the arena instead of their own mapping: the largest value
   * mallopt(3) documents for 64-bit systems, four times an activation pass ({@code
   * Network.PASS_BYTES}).
   */
  static final int MMAP_THRESHOLD = 32 << 20;

  /** Free memory at the top of an arena beyond this is returned to the kernel. */
  static final int TRIM_THRESHOLD = 256 << 20;

  /**
   * Free memory an arena keeps at its top when it trims, and what it adds when it grows. As large
   * as a secondary arena's heap (64 MiB): without it glibc unmaps such a heap whenever it is
   * entirely free, whatever the trim threshold, and the width-128 benchmark still took 1.0-1.6 M
   * faults (0.8 M with it).
   */
  static final int TOP_PAD = 64 << 20;

  // mallopt's parameter numbers, from glibc's malloc.h.
  private static final int M_TRIM_THRESHOLD = -1;
  private static final int M_TOP_PAD = -2;
  private static final int M_MMAP_THRESHOLD = -3;

  private static String state;

  private NativeAllocator() {}

  /** The C library's mallopt. */
  private interface CLibrary extends Library {
    int mallopt(int parameter, int value);
  }

  /** Environment variables that set malloc's thresholds themselves. */
  private static final List<String> TUNABLES =
      List.of(
          "MALLOC_MMAP_THRESHOLD_",
          "MALLOC_TRIM_THRESHOLD_",
          "MALLOC_TOP_PAD_",
          "MALLOC_MMAP_MAX_",
          "GLIBC_TUNABLES");

  /**
   * Applies the thresholds on the first call; returns what was done, for the engine's report: the
   * thresholds set, or why the allocator was left as it was.
   */
  public static synchronized String tune() {
    if (state == null) {
      state = apply(System.getenv());
    }
    return state;
  }

  static String apply(Map<String, String> environment) {
    String tunable = TUNABLES.stream().filter(environment::containsKey).findFirst().orElse(null);
    if (tunable != null) {
      return "glibc malloc left to the environment (" + tunable + " is set)";
    }
    if (!Platform.isLinux()) {
      return "malloc unchanged (not Linux)";
    }
    try {
      CLibrary c = Native.load(Platform.C_LIBRARY_NAME, CLibrary.class);
      if (c.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1
          || c.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) != 1
          || c.mallopt(M_TOP_PAD, TOP_PAD) != 1) {
        return "malloc unchanged (mallopt refused the thresholds)";
      }
    } catch (LinkageError | RuntimeException e) {
      // No mallopt (a C library other than glibc), or JNA could not load or unpack its native
      // part: the thresholds are a speed-up, never a reason to fail the stage.
      return "malloc unchanged (" + e + ")";
    }
    return "glibc malloc: mmap threshold "
        + (MMAP_THRESHOLD >> 20)
        + " MiB, trim threshold "
        + (TRIM_THRESHOLD >> 20)
        + " MiB, top pad "
        + (TOP_PAD >> 20)
        + " MiB";
  }
}
