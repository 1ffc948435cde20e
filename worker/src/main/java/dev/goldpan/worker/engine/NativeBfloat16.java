package dev.goldpan.worker.engine;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import dev.goldpan.api.v1alpha1.EmbeddingPrecision;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Whether a device computes bfloat16 faster than float32, and so which number format {@code
 * distillation.realEmbeddingPrecision: auto} stands for (docs/benchmarks.md has the measurements).
 * A CPU counts when Linux lists, for its first processor:
 *
 * <ul>
 *   <li>AMX's bfloat16 instructions ({@code amx_bf16}): oneDNN runs bfloat16 convolutions on AMX's
 *       tiles, one 3x3 convolution at width 128 14 times faster than in float32;
 *   <li>or AVX512-BF16 ({@code avx512_bf16}) on an AMD CPU ({@code AuthenticAMD}): on Zen 4, whose
 *       float32 multiply-adds run on 256-bit halves, oneDNN's {@code avx512_core_bf16} convolution
 *       of DM's width-128 layers took 5.3 ms against 11.3 ms in float32, and DM ran 1.3 times
 *       faster.
 * </ul>
 *
 * AVX512-BF16 on an Intel CPU without AMX does not count: on such a Xeon oneDNN's bfloat16
 * convolutions took 27 % longer than float32 ones and DM ran as fast in either format, so float32,
 * the reference's arithmetic, is the better choice there. A CUDA device counts from compute
 * capability 8.0 (Ampere), whose tensor cores take bfloat16.
 */
public final class NativeBfloat16 {

  private static final Pattern FIELD = Pattern.compile("^([a-z_ ]+?)\\s*:(.*)$");

  private NativeBfloat16() {}

  /** {@code precision} resolved for {@code device}: true for bfloat16, false for float32. */
  public static boolean resolve(EmbeddingPrecision precision, Device device) {
    return switch (precision == null ? EmbeddingPrecision.AUTO : precision) {
      case FLOAT32 -> false;
      case BFLOAT16 -> true;
      case AUTO -> supported(device);
    };
  }

  /** Whether {@code device} computes bfloat16 faster than float32 (see the class comment). */
  public static boolean supported(Device device) {
    if (device.isGpu()) {
      return tensorCoresTakeBfloat16(CudaUtils.getComputeCapability(device.getDeviceId()));
    }
    return cpuTakesBfloat16(Path.of("/proc/cpuinfo"));
  }

  /**
   * Whether a CUDA compute capability as DJL writes it (major and one-digit minor, "86" for 8.6,
   * "100" for 10.0) is 8.0 or later.
   */
  static boolean tensorCoresTakeBfloat16(String capability) {
    String digits = capability.replaceAll("\\D", "");
    return digits.length() >= 2 && Integer.parseInt(digits.substring(0, digits.length() - 1)) >= 8;
  }

  /**
   * Whether the first processor that {@code cpuinfo} describes computes bfloat16 faster than
   * float32: it lists {@code amx_bf16}, or it is an AMD CPU that lists {@code avx512_bf16}.
   */
  static boolean cpuTakesBfloat16(Path cpuinfo) {
    List<String> lines;
    try {
      lines = Files.readAllLines(cpuinfo);
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + cpuinfo, e);
    }
    String vendor = "";
    Set<String> flags = Set.of();
    for (String line : lines) {
      if (line.isBlank() && !flags.isEmpty()) {
        break; // the first processor's block has ended
      }
      var field = FIELD.matcher(line);
      if (!field.matches()) {
        continue;
      }
      switch (field.group(1)) {
        case "vendor_id" -> vendor = field.group(2).trim();
        case "flags" -> flags = Set.copyOf(Arrays.asList(field.group(2).trim().split("\\s+")));
        default -> {}
      }
    }
    return flags.contains("amx_bf16")
        || (flags.contains("avx512_bf16") && vendor.equals("AuthenticAMD"));
  }
}
