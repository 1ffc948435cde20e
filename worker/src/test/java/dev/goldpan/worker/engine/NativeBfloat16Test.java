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

  private Path cpuinfo(String flags) throws IOException {
    return Files.writeString(
        directory.resolve("cpuinfo"),
        "processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: " + flags + "\nbugs\t\t: spectre_v1\n");
  }

  @Test
  void cpuFlagsNameAmxBfloat16() throws IOException {
    assertThat(NativeBfloat16.cpuFlagsInclude(cpuinfo("fpu sse2 avx512f amx_tile amx_bf16")))
        .isTrue();
    // AVX512-BF16 without AMX (e.g. Cooper Lake, Zen 4), AVX-512 alone (e.g. Skylake-SP), AMX
    // without bfloat16 and FP16 do not count.
    assertThat(NativeBfloat16.cpuFlagsInclude(cpuinfo("fpu sse2 avx512f avx512_bf16 avx512_vnni")))
        .isFalse();
    assertThat(NativeBfloat16.cpuFlagsInclude(cpuinfo("fpu sse2 avx512f avx512bw amx_int8")))
        .isFalse();
    assertThat(NativeBfloat16.cpuFlagsInclude(cpuinfo("fpu avx512_fp16"))).isFalse();
    assertThat(NativeBfloat16.cpuFlagsInclude(directory.resolve("absent"))).isFalse();
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
    boolean machine = NativeBfloat16.cpuFlagsInclude(Path.of("/proc/cpuinfo"));
    assertThat(NativeBfloat16.resolve(EmbeddingPrecision.AUTO, cpu)).isEqualTo(machine);
    assertThat(NativeBfloat16.resolve(null, cpu)).isEqualTo(machine);
  }
}
