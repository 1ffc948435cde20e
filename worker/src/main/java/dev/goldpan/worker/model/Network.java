package dev.goldpan.worker.model;

import ai.djl.ndarray.NDArray;
import java.util.List;

/** A classifier whose penultimate features serve as the embedding of distribution matching. */
public interface Network {

  /** Features before the classifier, [N, D], for images [N, C, H, W]. */
  NDArray embed(NDArray images);

  /**
   * {@link #embed} without autograd, computed in bfloat16 where this network has such a path (and
   * in float32 where it has not), returned in float32.
   */
  default NDArray embedInBfloat16(NDArray images) {
    return embed(images);
  }

  /**
   * Rounds every parameter in place to the nearest bfloat16 value: the network then computes the
   * same function in float32 ({@link #embed}) and in bfloat16 ({@link #embedInBfloat16}) up to the
   * rounding of activations alone.
   */
  default void roundParametersToBfloat16() {
    parameters().forEach(ScriptedKernels::roundToBfloat16);
  }

  /** Class scores, [N, classes]. */
  NDArray logits(NDArray images);

  /** Every trainable array, in a fixed order. */
  List<NDArray> parameters();

  /** Parameters that weight decay applies to (all of them, as in the reference training). */
  default List<NDArray> decayedParameters() {
    return parameters();
  }

  /** Bytes of the largest activation that one image makes in a forward pass. */
  long activationBytesPerImage();

  /**
   * Activation bytes one forward pass may hold: larger batches go through in passes of {@link
   * #rowsPerPass()} images. On the CPU this was measured on (1 MiB of L2 per core, 32 MiB of L3), a
   * 64-image pass at width 128 made 32 MiB activations that every layer streamed through memory;
   * 16-image passes ran DM 1.35x and training 1.4-1.5x as fast (`goldpan-worker benchmark`,
   * docs/benchmarks.md).
   */
  long PASS_BYTES = 8L << 20;

  /** Images per pass whose largest activation stays within {@link #PASS_BYTES} (at least 8). */
  default int rowsPerPass() {
    return (int) Math.max(8, Math.min(4096, PASS_BYTES / Math.max(1, activationBytesPerImage())));
  }
}
