package dev.goldpan.worker.report;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The report's plots, rendered by XChart to PNG bytes. Needs {@code java.awt.headless=true}. */
final class ReportCharts {

  static final int WIDTH = 800;
  static final int HEIGHT = 400;

  /** Loss spans at least this ratio before the axis turns logarithmic. */
  private static final double LOG_SCALE_RATIO = 100;

  private static final int MIN_BINS = 10;
  private static final int MAX_BINS = 50;

  /** Labels of more classes than this are drawn vertically. */
  private static final int HORIZONTAL_LABELS = 12;

  private static final Color BARS = new Color(0x4C72B0);
  private static final Color CUT = new Color(0xC44E52);

  private ReportCharts() {}

  /** Distillation loss against iteration; the y axis is logarithmic when the loss spans decades. */
  static byte[] lossCurve(double[] iterations, double[] losses) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .xAxisTitle("iteration")
            .yAxisTitle("loss")
            .build();
    style(chart.getStyler());
    chart.getStyler().setLegendVisible(false);
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (double loss : losses) {
      min = Math.min(min, loss);
      max = Math.max(max, loss);
    }
    chart.getStyler().setYAxisLogarithmic(min > 0 && max / min >= LOG_SCALE_RATIO);
    line(chart.addSeries("loss", iterations, losses), BARS);
    return png(chart);
  }

  /**
   * Histogram of {@code scores} (finite values only) as a filled step curve over the bin edges,
   * with {@code cut}, when present, as a vertical line series named {@code cutLabel}.
   */
  static byte[] scoreHistogram(float[] scores, OptionalDouble cut, String cutLabel) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    int finite = 0;
    for (float score : scores) {
      if (Float.isFinite(score)) {
        min = Math.min(min, score);
        max = Math.max(max, score);
        finite++;
      }
    }
    if (finite == 0) {
      min = 0;
      max = 1;
    } else if (min == max) {
      min -= 0.5;
      max += 0.5;
    }
    int bins = Math.max(MIN_BINS, Math.min(MAX_BINS, (int) Math.sqrt(finite)));
    double width = (max - min) / bins;
    double[] counts = new double[bins];
    for (float score : scores) {
      if (Float.isFinite(score)) {
        counts[Math.min(bins - 1, (int) ((score - min) / width))]++;
      }
    }
    // A step curve holds each count from its bin's left edge to the next point, so the last
    // count is repeated at the right edge of the last bin.
    double[] edges = new double[bins + 1];
    double[] heights = new double[bins + 1];
    double tallest = 0;
    for (int b = 0; b <= bins; b++) {
      edges[b] = min + b * width;
      heights[b] = counts[Math.min(b, bins - 1)];
      tallest = Math.max(tallest, heights[b]);
    }

    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .xAxisTitle("score")
            .yAxisTitle("samples")
            .build();
    style(chart.getStyler());
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setLegendPosition(LegendPosition.InsideNE);
    XYSeries histogram = chart.addSeries("samples per bin", edges, heights);
    histogram.setXYSeriesRenderStyle(XYSeriesRenderStyle.StepArea);
    histogram.setMarker(SeriesMarkers.NONE);
    histogram.setLineColor(BARS);
    histogram.setFillColor(new Color(BARS.getRed(), BARS.getGreen(), BARS.getBlue(), 160));
    if (cut.isPresent()) {
      double x = cut.getAsDouble();
      line(chart.addSeries(cutLabel, new double[] {x, x}, new double[] {0, tallest}), CUT);
    }
    return png(chart);
  }

  /** One bar per class. */
  static byte[] keptPerClass(List<String> classes, List<Integer> counts) {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .xAxisTitle("class")
            .yAxisTitle("kept samples")
            .build();
    style(chart.getStyler());
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setSeriesColors(new Color[] {BARS});
    chart.getStyler().setYAxisMin(0.0);
    if (classes.size() > HORIZONTAL_LABELS) {
      chart.getStyler().setXAxisLabelRotation(90);
    }
    chart.addSeries("kept", classes, counts);
    return png(chart);
  }

  /** One line per quantile of the individual treatment effects, against the refresh iteration. */
  static byte[] iteQuantiles(double[] iterations, List<String> names, double[][] quantiles) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .xAxisTitle("iteration")
            .yAxisTitle("ITE")
            .build();
    style(chart.getStyler());
    chart.getStyler().setLegendPosition(LegendPosition.OutsideE);
    for (int q = 0; q < names.size(); q++) {
      XYSeries series = chart.addSeries(names.get(q), iterations, quantiles[q]);
      series.setMarker(SeriesMarkers.CIRCLE);
    }
    return png(chart);
  }

  private static void line(XYSeries series, Color color) {
    series.setXYSeriesRenderStyle(XYSeriesRenderStyle.Line);
    series.setMarker(SeriesMarkers.NONE);
    series.setLineColor(color);
  }

  private static void style(AxesChartStyler styler) {
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setPlotBorderVisible(false);
    styler.setChartTitleVisible(false);
    styler.setAntiAlias(true);
    // Tick labels read the same whatever the pod's default locale.
    styler.setLocale(Locale.ROOT);
  }

  private static byte[] png(Chart<?, ?> chart) {
    try {
      return BitmapEncoder.getBitmapBytes(chart, BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode a report chart as PNG", e);
    }
  }
}
