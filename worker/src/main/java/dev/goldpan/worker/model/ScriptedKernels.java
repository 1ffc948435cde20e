package dev.goldpan.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * libtorch operators that DJL's Java API does not reach, called through TorchScript: each kernel is
 * a one-method TorchScript module whose archive is written here, in memory, and loaded by libtorch
 * like any saved module. Autograd records through the call as through any other operator.
 */
final class ScriptedKernels {

  /**
   * Instance norm with a per-channel scale and shift, then ReLU in place: group_norm with one group
   * per channel and relu_.
   */
  private static final String INSTANCE_NORM_RELU =
      """
      def forward(self: __torch__.Kernel, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
        _0 = torch.group_norm(x, torch.size(x, 1), weight, bias, 1.0000000000000001e-05)
        return torch.relu_(_0)
      """;

  /** Instance norm without scale and shift, then ReLU in place. */
  private static final String PLAIN_INSTANCE_NORM_RELU =
      """
      def forward(self: __torch__.Kernel, x: Tensor) -> Tensor:
        _0 = torch.group_norm(x, torch.size(x, 1), None, None, 1.0000000000000001e-05)
        return torch.relu_(_0)
      """;

  /** Rounds every value of x in place to the nearest bfloat16 (ties to even), keeping float32. */
  private static final String ROUND_TO_BFLOAT16 =
      """
      def forward(self: __torch__.Kernel, x: Tensor) -> Tensor:
        return torch.copy_(x, torch.to(torch.to(x, 15), 6))
      """;

  /**
   * Bilinear resampling of x [G, C, H, W] under each group's affine map theta [G, 2, 3] (output to
   * input coordinates in [-1, 1]), with zero padding and aligned corners: affine_grid and
   * grid_sample.
   */
  private static final String AFFINE_RESAMPLE =
      """
      def forward(self: __torch__.Kernel, x: Tensor, theta: Tensor) -> Tensor:
        _0 = torch.affine_grid_generator(theta, torch.size(x), True)
        return torch.grid_sampler(x, _0, 0, 0, True)
      """;

  /** The kernels, loaded on first use and kept for the life of the process. */
  private static final class Loaded {
    private static final PtNDManager MANAGER = (PtNDManager) NDManager.newBaseManager();
    static final PtSymbolBlock INSTANCE_NORM_RELU = load(ScriptedKernels.INSTANCE_NORM_RELU);
    static final PtSymbolBlock PLAIN_INSTANCE_NORM_RELU =
        load(ScriptedKernels.PLAIN_INSTANCE_NORM_RELU);
    static final PtSymbolBlock ROUND_TO_BFLOAT16 = load(ScriptedKernels.ROUND_TO_BFLOAT16);
    static final PtSymbolBlock AFFINE_RESAMPLE = load(ScriptedKernels.AFFINE_RESAMPLE);

    static PtSymbolBlock load(String method) {
      try {
        return JniUtils.loadModule(MANAGER, new ByteArrayInputStream(archive(method)), true, false);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** {@link #normalisedConvolution}'s kernels, per (padding, affine), loaded on first use. */
  private static final Map<List<Integer>, PtSymbolBlock> NORMALISED_CONVOLUTIONS =
      new ConcurrentHashMap<>();

  /** ConvNet's bfloat16 embeddings, per (depth, first padding), loaded on first use. */
  private static final Map<List<Integer>, PtSymbolBlock> BFLOAT16_EMBEDDINGS =
      new ConcurrentHashMap<>();

  /** TorchScript's numbers for the bfloat16 and float32 scalar types. */
  private static final int BFLOAT16 = 15;

  private static final int FLOAT32 = 6;

  private ScriptedKernels() {}

  /**
   * ConvNet's embedding with a norm without scale and shift, computed in bfloat16 and returned in
   * float32: per block, convolution ({@code weights[b]}, {@code biases[b]}, padding {@code
   * firstPadding} in the first block and 1 after), instance norm, ReLU and 2x2 average pooling: as
   * {@link ConvNet} pools, the product of each pair of rows with {@code poolingMatrices[b]} when
   * every block has them, else a depthwise convolution with a 1/4 kernel (for planes of odd height
   * or width); then each image's features flattened in (channel, row, column) order. The
   * convolutions run on the CPU's matrix units where it has them (AMX) or its bfloat16 dot products
   * (AVX512-BF16) and on a CUDA device's tensor cores; group norm accumulates its statistics in
   * float32. The first block's convolution, norm and ReLU are computed from the image patches as in
   * {@link #normalisedConvolution}, its statistics in float32 and its product in bfloat16 (so its
   * bias, which the norm removes, is not used).
   */
  static NDArray bfloat16Embedding(
      NDArray images,
      List<NDArray> weights,
      List<NDArray> biases,
      int firstPadding,
      List<NDArray> poolingMatrices) {
    int depth = weights.size();
    boolean byProduct = poolingMatrices != null;
    PtSymbolBlock kernel =
        BFLOAT16_EMBEDDINGS.computeIfAbsent(
            List.of(depth, firstPadding, byProduct ? 1 : 0),
            key -> Loaded.load(bfloat16EmbeddingMethod(depth, firstPadding, byProduct)));
    int perBlock = byProduct ? 3 : 2;
    NDArray[] inputs = new NDArray[1 + perBlock * depth];
    inputs[0] = images;
    for (int block = 0; block < depth; block++) {
      inputs[1 + perBlock * block] = weights.get(block);
      inputs[2 + perBlock * block] = biases.get(block);
      if (byProduct) {
        inputs[3 + perBlock * block] = poolingMatrices.get(block);
      }
    }
    return run(kernel, inputs);
  }

  /** The TorchScript method of {@link #bfloat16Embedding} for {@code depth} blocks. */
  private static String bfloat16EmbeddingMethod(int depth, int firstPadding, boolean byProduct) {
    StringBuilder parameters = new StringBuilder();
    StringBuilder body = new StringBuilder();
    String pooling =
        byProduct
            ? """
                q{b} = torch.matmul(torch.reshape(n{b}, [-1, torch.size(p{b}, 0)]), torch.to(p{b}, {bf16}))
                x{next} = torch.reshape(q{b}, [torch.size(n{b}, 0), torch.size(n{b}, 1), -1, torch.size(p{b}, 1)])
              """
            : """
                k{b} = torch.new_full(n{b}, [torch.size(n{b}, 1), 1, 2, 2], 0.25)
                x{next} = torch.conv2d(n{b}, k{b}, None, [2, 2], [0, 0], [1, 1], torch.size(n{b}, 1))
              """;
    for (int block = 0; block < depth; block++) {
      int padding = block == 0 ? firstPadding : 1;
      parameters.append(", w%d: Tensor, b%d: Tensor".formatted(block, block));
      if (byProduct) {
        parameters.append(", p%d: Tensor".formatted(block));
      }
      String convolution =
          block == 0
              ? normalisedConvolutionLines("x", "w0", "n0", padding, null, null, BFLOAT16)
              : """
                  c{b} = torch.conv2d(x{b}, torch.to(w{b}, {bf16}), torch.to(b{b}, {bf16}), [1, 1], [{p}, {p}])
                  n{b} = torch.relu_(torch.group_norm(c{b}, torch.size(c{b}, 1), None, None, 1.0000000000000001e-05))
                """;
      body.append(
          (convolution + pooling)
              .replace("{b}", Integer.toString(block))
              .replace("{next}", Integer.toString(block + 1))
              .replace("{bf16}", Integer.toString(BFLOAT16))
              .replace("{p}", Integer.toString(padding)));
    }
    body.append(
        "  return torch.to(torch.reshape(x{d}, [torch.size(x{d}, 0), -1]), {f32})\n"
            .replace("{d}", Integer.toString(depth))
            .replace("{f32}", Integer.toString(FLOAT32)));
    return "def forward(self: __torch__.Kernel, x: Tensor%s) -> Tensor:\n%s"
        .formatted(parameters, body);
  }

  /**
   * ConvNet's first block up to the pooling, without autograd: the 3x3 convolution of {@code x} [N,
   * C, H, W] with {@code weight} [O, C, 3, 3] (stride 1, zero padding {@code padding}), instance
   * norm and ReLU, computed from the image patches. With the [N, 9C, L] patches P of im2col (L =
   * H'W' output positions), each centred on its mean over the L positions (D), a channel's output
   * is w.D plus a constant that the norm removes (so the convolution's bias is left out), and its
   * variance over the plane is w S w / L with S = D D' [9C, 9C]. So the normalised output is one
   * matrix product per image, (w / sqrt(var + 1e-5) * scale) D + shift, then ReLU; the [N, O, L]
   * convolution output is never written and read back by a separate norm. It is the function
   * convolution, group norm (one group per channel, epsilon 1e-5) and ReLU compute, up to float32
   * rounding. For a first layer of one or three input channels libtorch 2.7's CPU convolution runs
   * oneDNN's im2col and GEMM and then copies the output; this is faster than that and the norm
   * together (docs/benchmarks.md). The batched product keeps NCHW order, which libtorch's matmul
   * would not (it folds the images into one product with a channels-last result). Without {@code
   * scale} and {@code shift} (both null) the norm has neither.
   */
  static NDArray normalisedConvolution(
      NDArray x, NDArray weight, int padding, NDArray scale, NDArray shift) {
    boolean affine = scale != null;
    PtSymbolBlock kernel =
        NORMALISED_CONVOLUTIONS.computeIfAbsent(
            List.of(padding, affine ? 1 : 0),
            key -> Loaded.load(normalisedConvolutionMethod(padding, affine)));
    return affine ? run(kernel, x, weight, scale, shift) : run(kernel, x, weight);
  }

  private static String normalisedConvolutionMethod(int padding, boolean affine) {
    return "def forward(self: __torch__.Kernel, x: Tensor, w: Tensor%s) -> Tensor:\n%s  return y\n"
        .formatted(
            affine ? ", scale: Tensor, shift: Tensor" : "",
            normalisedConvolutionLines(
                "x", "w", "y", padding, affine ? "scale" : null, "shift", -1));
  }

  /**
   * TorchScript lines that set {@code output} to {@link #normalisedConvolution} of {@code input}
   * with {@code weight} (names of tensors in scope), with the norm's scale and shift named {@code
   * scale} and {@code shift} unless {@code scale} is null; the product in {@code productType} (a
   * TorchScript scalar type number, without scale and shift; -1: float32, as the input), the
   * statistics in float32. Local names start with {@code output}.
   */
  private static String normalisedConvolutionLines(
      String input,
      String weight,
      String output,
      int padding,
      String scale,
      String shift,
      int productType) {
    String gain =
        scale == null
            ? "torch.rsqrt(torch.add({o}_v, 1.0000000000000001e-05))"
            : "torch.mul(torch.rsqrt(torch.add({o}_v, 1.0000000000000001e-05)), %s)"
                .formatted(scale);
    String factor = "torch.mul({o}_m, torch.unsqueeze({o}_g, 2))";
    String centred = "{o}_d";
    if (productType >= 0) {
      if (scale != null) {
        throw new IllegalArgumentException("a scale and shift need the product in float32");
      }
      factor = "torch.to(%s, %d)".formatted(factor, productType);
      centred = "torch.to(%s, %d)".formatted(centred, productType);
    }
    String product =
        scale == null
            ? "torch.bmm({o}_f, %s)".formatted(centred)
            : "torch.baddbmm(torch.reshape(%s, [1, -1, 1]), {o}_f, %s)".formatted(shift, centred);
    return ("""
        {o}_p = torch.im2col({x}, [3, 3], [1, 1], [{p}, {p}], [1, 1])
        {o}_d = torch.sub({o}_p, torch.mean({o}_p, [2], True))
        {o}_s = torch.bmm({o}_d, torch.transpose({o}_d, 1, 2))
        {o}_m = torch.expand(torch.reshape({w}, [1, torch.size({w}, 0), -1]), [torch.size({x}, 0), -1, -1])
        {o}_v = torch.div(torch.sum(torch.mul(torch.bmm({o}_m, {o}_s), {o}_m), [2]), torch.size({o}_d, 2))
        {o}_g = {gain}
        {o}_f = {factor}
        {o}_y = {product}
        {o} = torch.reshape(torch.relu_({o}_y), [torch.size({x}, 0), torch.size({w}, 0), torch.size({x}, 2) + {grow}, torch.size({x}, 3) + {grow}])
        """)
        .replace("{gain}", gain)
        .replace("{factor}", factor)
        .replace("{product}", product)
        .replace("{x}", input)
        .replace("{w}", weight)
        .replace("{o}", output)
        .replace("{p}", Integer.toString(padding))
        .replace("{grow}", Integer.toString(2 * padding - 2))
        .indent(2);
  }

  /**
   * Instance norm of {@code x} [N, C, H, W] over each (sample, channel) plane (biased variance,
   * epsilon 1e-5), scaled and shifted per channel by {@code scale} and {@code shift} [C], then
   * ReLU.
   */
  static NDArray instanceNormRelu(NDArray x, NDArray scale, NDArray shift) {
    return run(Loaded.INSTANCE_NORM_RELU, x, scale, shift);
  }

  /** Instance norm of {@code x} [N, C, H, W] over each (sample, channel) plane, then ReLU. */
  static NDArray instanceNormRelu(NDArray x) {
    return run(Loaded.PLAIN_INSTANCE_NORM_RELU, x);
  }

  /**
   * {@code x} [G, C, H, W] resampled bilinearly under each group's 2x3 matrix {@code theta} [G, 2,
   * 3], as {@code grid_sample(x, affine_grid(theta, x.shape, align_corners=True), "bilinear",
   * "zeros", align_corners=True)} in PyTorch; differentiable with respect to {@code x}.
   */
  static NDArray affineResample(NDArray x, NDArray theta) {
    return run(Loaded.AFFINE_RESAMPLE, x, theta);
  }

  /** Rounds every value of {@code x} in place to the nearest bfloat16 value. */
  static void roundToBfloat16(NDArray x) {
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      run(Loaded.ROUND_TO_BFLOAT16, x).close();
    } finally {
      JniUtils.setGradMode(recording);
    }
  }

  /** Runs {@code kernel}'s forward on {@code inputs}, recording autograd when it is on. */
  private static NDArray run(PtSymbolBlock kernel, NDArray... inputs) {
    return IValueUtils.forward(kernel, new NDList(inputs), true).singletonOrThrow();
  }

  /**
   * The TorchScript archive (format version 3) of a module of class {@code __torch__.Kernel}
   * without parameters whose only method is {@code method}.
   */
  private static byte[] archive(String method) {
    String code =
        "class Kernel(Module):\n"
            + "  __parameters__ = []\n"
            + "  __buffers__ = []\n"
            + "  training : bool\n"
            + method.indent(2);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      stored(zip, "kernel/data.pkl", moduleObject());
      stored(zip, "kernel/code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
      // An empty tuple: the module has no tensor constants.
      stored(zip, "kernel/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
      stored(zip, "kernel/version", "3\n".getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * The pickled module object (protocol 2): an instance of {@code __torch__.Kernel} built from the
   * attribute dictionary {training: True}.
   */
  private static byte[] moduleObject() {
    ByteArrayOutputStream pickle = new ByteArrayOutputStream();
    pickle.write(0x80); // PROTO 2
    pickle.write(2);
    pickle.writeBytes("c__torch__\nKernel\n".getBytes(StandardCharsets.US_ASCII)); // GLOBAL
    pickle.write(')'); // EMPTY_TUPLE
    pickle.write(0x81); // NEWOBJ
    pickle.write('}'); // EMPTY_DICT
    byte[] name = "training".getBytes(StandardCharsets.US_ASCII);
    pickle.write('X'); // BINUNICODE, 4-byte little-endian length
    pickle.write(name.length);
    pickle.write(0);
    pickle.write(0);
    pickle.write(0);
    pickle.writeBytes(name);
    pickle.write(0x88); // NEWTRUE
    pickle.write('s'); // SETITEM
    pickle.write('b'); // BUILD
    pickle.write('.'); // STOP
    return pickle.toByteArray();
  }

  private static void stored(ZipOutputStream zip, String name, byte[] content) throws IOException {
    ZipEntry entry = new ZipEntry(name);
    entry.setMethod(ZipEntry.STORED);
    entry.setSize(content.length);
    CRC32 crc = new CRC32();
    crc.update(content);
    entry.setCrc(crc.getValue());
    zip.putNextEntry(entry);
    zip.write(content);
    zip.closeEntry();
  }
}
