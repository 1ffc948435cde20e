package dev.goldpan.worker.data;

import dev.goldpan.api.v1alpha1.NormalizationSpec;
import dev.goldpan.worker.InvalidInputException;

/** Per-channel normalisation {@code (x - mean) / std}. */
public record Normalization(float[] mean, float[] std) {

  /** The mean and (population) standard deviation of each channel of {@code train}. */
  public static Normalization of(ImageSet train) {
    Statistics statistics = new Statistics(train.channels());
    statistics.add(train);
    return statistics.normalization();
  }

  /**
   * Per-channel sums over the images added so far, in the order they were added: adding a set chunk
   * by chunk gives the same normalisation as adding it whole.
   */
  public static final class Statistics {
    private final double[] sum;
    private final double[] squares;
    private long values;

    public Statistics(int channels) {
      sum = new double[channels];
      squares = new double[channels];
    }

    /** Adds the held images of {@code images}, as unit values (before any normalisation). */
    public void add(ImageSet images) {
      int plane = images.height() * images.width();
      for (int row = 0; row < images.heldCount(); row++) {
        for (int c = 0; c < sum.length; c++) {
          int offset = c * plane;
          for (int p = 0; p < plane; p++) {
            double value = images.unitValue(row, offset + p);
            sum[c] += value;
            squares[c] += value * value;
          }
        }
      }
      values += (long) images.heldCount() * plane;
    }

    public Normalization normalization() {
      double count = values;
      float[] mean = new float[sum.length];
      float[] std = new float[sum.length];
      for (int c = 0; c < sum.length; c++) {
        mean[c] = (float) (sum[c] / count);
        std[c] =
            (float)
                Math.sqrt(
                    Math.max(squares[c] / count - (sum[c] / count) * (sum[c] / count), 1e-12));
      }
      return new Normalization(mean, std);
    }
  }

  /** The spec's values, which must have one entry per channel of the data. */
  public static Normalization of(NormalizationSpec spec, int channels) {
    if (spec.getMean().size() != channels || spec.getStd().size() != channels) {
      throw new InvalidInputException(
          "spec.dataset.normalization has "
              + spec.getMean().size()
              + " means and "
              + spec.getStd().size()
              + " stds, the data has "
              + channels
              + " channels");
    }
    float[] mean = new float[channels];
    float[] std = new float[channels];
    for (int c = 0; c < channels; c++) {
      mean[c] = spec.getMean().get(c).floatValue();
      std[c] = spec.getStd().get(c).floatValue();
    }
    return new Normalization(mean, std);
  }

  /** {@code set} with {@code (x - mean) / std}, per channel, applied when its values are read. */
  public ImageSet apply(ImageSet set) {
    return set.normalised(this);
  }

  /** {@code x * std + mean}, per channel, of a normalised set: back to [0, 1] pixel values. */
  public ImageSet invert(ImageSet set) {
    int plane = set.height() * set.width();
    float[] out = set.pixels().clone();
    for (int image = 0; image < set.size(); image++) {
      for (int c = 0; c < set.channels(); c++) {
        int offset = (image * set.channels() + c) * plane;
        for (int p = offset; p < offset + plane; p++) {
          out[p] = out[p] * std[c] + mean[c];
        }
      }
    }
    return new ImageSet(out, set.labels(), set.channels(), set.height(), set.width());
  }

  /** Normalises one image of {@code channels} planes from {@code in} into {@code out}. */
  void apply(float[] in, int from, float[] out, int offset, int channels, int plane) {
    for (int c = 0; c < channels; c++) {
      float m = mean[c];
      float s = std[c];
      for (int p = 0; p < plane; p++) {
        out[offset + c * plane + p] = (in[from + c * plane + p] - m) / s;
      }
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Normalization that
        && java.util.Arrays.equals(mean, that.mean)
        && java.util.Arrays.equals(std, that.std);
  }

  @Override
  public int hashCode() {
    return 31 * java.util.Arrays.hashCode(mean) + java.util.Arrays.hashCode(std);
  }
}
