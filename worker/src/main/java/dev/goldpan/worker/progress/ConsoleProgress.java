package dev.goldpan.worker.progress;

import java.io.PrintStream;

/**
 * A progress bar on the console: redrawn in place on a terminal (at most 10 times a second), one
 * line per 10% otherwise (logs of pods and CI).
 */
public final class ConsoleProgress implements Progress {

  private static final int WIDTH = 30;
  private static final long REDRAW_NANOS = 100_000_000L;

  private final String stage;
  private final PrintStream out;
  private final boolean terminal;
  private final long started = System.nanoTime();
  private long lastDraw;
  private long lastDecile = -1;

  public ConsoleProgress(String stage, PrintStream out, boolean terminal) {
    this.stage = stage;
    this.out = out;
    this.terminal = terminal;
  }

  /** A bar on standard error, redrawn in place when a console is attached. */
  public static ConsoleProgress forStage(String stage) {
    return new ConsoleProgress(stage, System.err, System.console() != null);
  }

  @Override
  public void report(long step, long totalSteps, double loss) {
    long now = System.nanoTime();
    boolean done = step >= totalSteps;
    long decile = totalSteps == 0 ? 10 : step * 10 / totalSteps;
    if (terminal) {
      if (!done && now - lastDraw < REDRAW_NANOS) {
        return;
      }
      lastDraw = now;
      out.print("\r" + line(step, totalSteps, loss, now) + (done ? System.lineSeparator() : ""));
      out.flush();
    } else if (decile != lastDecile) {
      lastDecile = decile;
      out.println(line(step, totalSteps, loss, now));
    }
  }

  String line(long step, long totalSteps, double loss, long now) {
    double fraction = totalSteps == 0 ? 1 : Math.min(1, (double) step / totalSteps);
    int filled = (int) Math.round(fraction * WIDTH);
    double elapsed = (now - started) / 1e9;
    long eta = step == 0 ? -1 : Math.round(elapsed / step * (totalSteps - step));
    StringBuilder line = new StringBuilder();
    line.append(String.format("%-9s", stage))
        .append('[')
        .append("#".repeat(filled))
        .append(".".repeat(WIDTH - filled))
        .append(String.format("] %3d%% %d/%d", Math.round(fraction * 100), step, totalSteps));
    if (!Double.isNaN(loss)) {
      line.append(String.format(" loss %.4f", loss));
    }
    if (eta >= 0 && step < totalSteps) {
      line.append(" eta ").append(eta).append('s');
    } else {
      line.append(String.format(" %.1fs", elapsed));
    }
    return line.toString();
  }
}
