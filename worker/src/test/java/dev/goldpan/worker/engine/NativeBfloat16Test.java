package dev.goldpan.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.goldpan.api.v1alpha1.EmbeddingPrecision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeBfloat16Test {

  @TempDir Path directory;

  /** A cpuinfo of two processors, the second with other flags, as a mixed machine could list. */
  private Path cpuinfo(String vendor, String flags) throws IOException {
    String processor =
        "processor\t: %d\nvendor_id\t: %s\nmodel name\t: Some CPU\nflags\t\t: %s\nbugs\t\t: spectre_v1\n";
    return Files.writeString(
        directory.resolve("cpuinfo"),
        processor.formatted(0, vendor, flags)
            + "\n"
            + processor.formatted(1, "AuthenticAMD", "fpu avx512f avx512_bf16 amx_bf16")
            + "\n");
  }

  @Test
  void amxOrAvx512Bfloat16OnAmdCount() throws IOException {
    String intel = "GenuineIntel";
    String amd = "AuthenticAMD";
    assertThat(
            NativeBfloat16.cpuTakesBfloat16(cpuinfo(intel, "fpu sse2 avx512f amx_tile amx_bf16")))
        .isTrue();
    // Zen 4: AVX512-BF16 without AMX, and float32 multiply-adds on 256-bit halves. A flag listed
    // twice is read, not refused.
    assertThat(
            NativeBfloat16.cpuTakesBfloat16(
                cpuinfo(amd, "fpu sse2 avx512f avx512_bf16 avx512_vnni sse2")))
        .isTrue();
    // AVX512-BF16 on an Intel CPU without AMX (e.g. Cooper Lake), AVX-512 alone (Skylake-SP, Zen
    // 4 under a hypervisor that hides the bfloat16 flag), AMX without bfloat16 and FP16 do not.
    assertThat(
            NativeBfloat16.cpuTakesBfloat16(
                cpuinfo(intel, "fpu sse2 avx512f avx512_bf16 avx512_vnni")))
        .isFalse();
    assertThat(NativeBfloat16.cpuTakesBfloat16(cpuinfo(amd, "fpu sse2 avx512f avx512bw")))
        .isFalse();
    assertThat(
            NativeBfloat16.cpuTakesBfloat16(cpuinfo(intel, "fpu sse2 avx512f avx512bw amx_int8")))
        .isFalse();
    assertThat(NativeBfloat16.cpuTakesBfloat16(cpuinfo(intel, "fpu avx512_fp16"))).isFalse();
    assertThat(NativeBfloat16.cpuTakesBfloat16(directory.resolve("absent"))).isFalse();
  }

  @Test
  void cudaFromAmpereOn() {
    assertThat(NativeBfloat16.tensorCoresTakeBfloat16("75")).isFalse(); // Turing
    assertThat(NativeBfloat16.tensorCoresTakeBfloat16("70")).isFalse(); // Volta
    assertThat(NativeBfloat16.tensorCoresTakeBfloat16("80")).isTrue(); // A100
    assertThat(NativeBfloat16.tensorCoresTakeBfloat16("86")).isTrue();
    assertThat(NativeBfloat16.tensorCoresTakeBfloat16("90")).isTrue(); // H100, H200
    assertThat(NativeBfloat16.tensorCoresTakeBfloat16("100")).isTrue(); // B200
    assertThat(NativeBfloat16.tensorCoresTakeBfloat16("8.9")).isTrue();
  }

  @Test
  void explicitPrecisionsAreKeptAndAutoFollowsTheCpu() throws IOException {
    Device cpu = Device.cpu();
    assertThat(NativeBfloat16.resolve(EmbeddingPrecision.FLOAT32, cpu)).isFalse();
    assertThat(NativeBfloat16.resolve(EmbeddingPrecision.BFLOAT16, cpu)).isTrue();
    boolean machine = NativeBfloat16.cpuTakesBfloat16(Path.of("/proc/cpuinfo"));
    assertThat(NativeBfloat16.resolve(EmbeddingPrecision.AUTO, cpu)).isEqualTo(machine);
    assertThat(NativeBfloat16.resolve(null, cpu)).isEqualTo(machine);
  }
}
