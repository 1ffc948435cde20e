package dev.goldpan.worker.data;

import dev.goldpan.api.v1alpha1.NormalizationSpec;
import dev.goldpan.worker.InvalidInputException;

/** Per-channel normalisation {@code (x - mean) / std}. */
public record Normalization(float[] mean, float[] std) {

  /** The mean and (population) standard deviation of each channel of {@code train}. */
  public static Normalization of(ImageSet train) {
    int channels = train.channels();
    int plane = train.height() * train.width();
    double[] sum = new double[channels];
    double[] squares = new double[channels];
    float[] pixels = train.pixels();
    for (int image = 0; image < train.size(); image++) {
      for (int c = 0; c < channels; c++) {
        int offset = (image * channels + c) * plane;
        for (int p = 0; p < plane; p++) {
          double value = pixels[offset + p];
          sum[c] += value;
          squares[c] += value * value;
        }
      }
    }
    double count = (double) train.size() * plane;
    float[] mean = new float[channels];
    float[] std = new float[channels];
    for (int c = 0; c < channels; c++) {
      mean[c] = (float) (sum[c] / count);
      std[c] =
          (float)
              Math.sqrt(Math.max(squares[c] / count - (sum[c] / count) * (sum[c] / count), 1e-12));
    }
    return new Normalization(mean, std);
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

  /** {@code (x - mean) / std}, per channel. */
  public ImageSet apply(ImageSet set) {
    return map(set, false);
  }

  /** {@code x * std + mean}, per channel: back to [0, 1] pixel values. */
  public ImageSet invert(ImageSet set) {
    return map(set, true);
  }

  private ImageSet map(ImageSet set, boolean inverse) {
    int channels = set.channels();
    int plane = set.height() * set.width();
    float[] in = set.pixels();
    float[] out = new float[in.length];
    for (int image = 0; image < set.size(); image++) {
      for (int c = 0; c < channels; c++) {
        int offset = (image * channels + c) * plane;
        float m = mean[c];
        float s = std[c];
        for (int p = offset; p < offset + plane; p++) {
          out[p] = inverse ? in[p] * s + m : (in[p] - m) / s;
        }
      }
    }
    return new ImageSet(out, set.labels(), channels, set.height(), set.width());
  }
}
