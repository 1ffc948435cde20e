package dev.goldpan.worker.progress;

/** Receives the progress of a stage: called often, so implementations throttle themselves. */
public interface Progress {

  /** Progress that goes nowhere. */
  Progress NONE = (step, totalSteps, loss) -> {};

  /**
   * @param step steps done so far
   * @param totalSteps steps in the stage
   * @param loss the latest loss, or NaN when the stage has none
   */
  void report(long step, long totalSteps, double loss);
}
