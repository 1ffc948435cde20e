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

  /** The kernels, loaded on first use and kept for the life of the process. */
  private static final class Loaded {
    private static final PtNDManager MANAGER = (PtNDManager) NDManager.newBaseManager();
    static final PtSymbolBlock INSTANCE_NORM_RELU = load(ScriptedKernels.INSTANCE_NORM_RELU);
    static final PtSymbolBlock PLAIN_INSTANCE_NORM_RELU =
        load(ScriptedKernels.PLAIN_INSTANCE_NORM_RELU);

    private static PtSymbolBlock load(String method) {
      try {
        return JniUtils.loadModule(MANAGER, new ByteArrayInputStream(archive(method)), true, false);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private ScriptedKernels() {}

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
