package dev.goldpan.worker.engine;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import dev.goldpan.api.v1alpha1.EmbeddingPrecision;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Whether a device computes bfloat16 faster than float32, and so which number format {@code
 * distillation.realEmbeddingPrecision: auto} stands for. A CPU counts when Linux lists AMX's
 * bfloat16 instructions ({@code amx_bf16}) among its flags: oneDNN then runs bfloat16 convolutions
 * on AMX's tiles, one 3x3 convolution at width 128 14 times faster than in float32. AVX512-BF16
 * alone does not count: on a Xeon with it and without AMX, oneDNN's bfloat16 convolutions of DM's
 * width-128 layers took 27 % longer than float32 ones, and DM ran as fast in either format
 * (docs/benchmarks.md), so float32, the reference's arithmetic, is the better choice there. A CUDA
 * device counts from compute capability 8.0 (Ampere), whose tensor cores take bfloat16.
 */
public final class NativeBfloat16 {

  private static final Set<String> CPU_FLAGS = Set.of("amx_bf16");
  private static final Pattern FLAGS_LINE = Pattern.compile("^flags\\s*:(.*)$");

  private NativeBfloat16() {}

  /** {@code precision} resolved for {@code device}: true for bfloat16, false for float32. */
  public static boolean resolve(EmbeddingPrecision precision, Device device) {
    return switch (precision == null ? EmbeddingPrecision.AUTO : precision) {
      case FLOAT32 -> false;
      case BFLOAT16 -> true;
      case AUTO -> supported(device);
    };
  }

  /** Whether {@code device} computes bfloat16 faster than float32 (AMX, tensor cores). */
  public static boolean supported(Device device) {
    if (device.isGpu()) {
      return tensorCoresTakeBfloat16(CudaUtils.getComputeCapability(device.getDeviceId()));
    }
    return cpuFlagsInclude(Path.of("/proc/cpuinfo"));
  }

  /**
   * Whether a CUDA compute capability as DJL writes it (major and one-digit minor, "86" for 8.6,
   * "100" for 10.0) is 8.0 or later.
   */
  static boolean tensorCoresTakeBfloat16(String capability) {
    String digits = capability.replaceAll("\\D", "");
    return digits.length() >= 2 && Integer.parseInt(digits.substring(0, digits.length() - 1)) >= 8;
  }

  /** Whether the first {@code flags} line of {@code cpuinfo} names AMX's bfloat16 instructions. */
  static boolean cpuFlagsInclude(Path cpuinfo) {
    try {
      for (String line : Files.readAllLines(cpuinfo)) {
        var matcher = FLAGS_LINE.matcher(line);
        if (matcher.matches()) {
          for (String flag : matcher.group(1).trim().split("\\s+")) {
            if (CPU_FLAGS.contains(flag)) {
              return true;
            }
          }
          return false;
        }
      }
      return false;
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + cpuinfo, e);
    }
  }
}
