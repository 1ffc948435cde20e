package dev.goldpan.worker.engine;

import dev.goldpan.worker.data.ImageSet;

/**
 * A distillation algorithm that learns the synthetic set one iteration at a time (distribution
 * matching or gradient matching), with what the distill stage needs to checkpoint and resume it.
 * Each iteration's random choices derive from the seed and the iteration number alone, so {@link
 * #restore} of a {@link #state} continues exactly as the uninterrupted run would.
 */
public interface Distiller extends AutoCloseable {

  /** One iteration; returns its loss. */
  float step();

  /** Iterations done so far. */
  int iteration();

  /** What a checkpoint needs to continue exactly where this run is. */
  DistributionMatching.State state();

  /** Continues from {@code state} (same data, spec and seed as the run that saved it). */
  void restore(DistributionMatching.State state);

  /** The current synthetic images, copied to the host, with their class-major labels. */
  ImageSet snapshot();

  /** Re-selects the active pools by causal effect at the iterations it asks for. */
  void setCausalSelection(CausalSelection causalSelection);

  @Override
  void close();
}
