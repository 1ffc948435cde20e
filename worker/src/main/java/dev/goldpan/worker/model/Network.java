package dev.goldpan.worker.model;

import ai.djl.ndarray.NDArray;
import java.util.List;

/** A classifier whose penultimate features serve as the embedding of distribution matching. */
public interface Network {

  /** Features before the classifier, [N, D], for images [N, C, H, W]. */
  NDArray embed(NDArray images);

  /** Class scores, [N, classes]. */
  NDArray logits(NDArray images);

  /** Every trainable array, in a fixed order. */
  List<NDArray> parameters();

  /** Parameters that weight decay applies to (all of them, as in the reference training). */
  default List<NDArray> decayedParameters() {
    return parameters();
  }
}
