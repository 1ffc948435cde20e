package dev.goldpan.worker.report;

import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A self-contained HTML page: inline CSS, images as base64 {@code data:} URIs, no scripts and no
 * external references. Every text argument is escaped here, so callers pass artifact strings as
 * they are. The markup is also well-formed XML, which lets tests parse it without an HTML parser.
 */
final class HtmlPage {

  private static final String STYLE =
      """
      body { font-family: sans-serif; margin: 2em auto; max-width: 900px; color: #222; }
      h1 { margin-bottom: 0.2em; }
      h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
      table { border-collapse: collapse; margin: 0.5em 0; }
      th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }
      th { background: #f3f3f3; }
      td.number { text-align: right; font-variant-numeric: tabular-nums; }
      table.facts th { width: 8em; }
      img { max-width: 100%; }
      section#synthetic img { image-rendering: pixelated; }
      p.caption { color: #555; font-size: 0.9em; }
      p.missing { color: #8a5a00; background: #fff6e0; padding: 0.5em; }
      """;

  private final String title;
  private final StringBuilder body = new StringBuilder();

  HtmlPage(String title) {
    this.title = title;
  }

  /**
   * The page heading, a two-column table of facts about the job in the map's order, and notes on
   * what is missing.
   */
  void header(String heading, Map<String, String> facts, List<String> missing) {
    body.append("<header>\n<h1>").append(escape(heading)).append("</h1>\n");
    body.append("<table class=\"facts\">\n");
    facts.forEach(
        (label, value) ->
            body.append("<tr><th>")
                .append(escape(label))
                .append("</th><td>")
                .append(escape(value))
                .append("</td></tr>\n"));
    body.append("</table>\n");
    missing.forEach(this::missing);
    body.append("</header>\n");
  }

  /** Opens a section; {@code id} is a fixed identifier, not artifact text. */
  void openSection(String id, String heading) {
    body.append("<section id=\"")
        .append(escape(id))
        .append("\">\n<h2>")
        .append(escape(heading))
        .append("</h2>\n");
  }

  void closeSection() {
    body.append("</section>\n");
  }

  void caption(String text) {
    body.append("<p class=\"caption\">").append(escape(text)).append("</p>\n");
  }

  /** A sentence saying what is missing and why the section is empty or incomplete. */
  void missing(String text) {
    body.append("<p class=\"missing\">").append(escape(text)).append("</p>\n");
  }

  void png(byte[] png, String alt) {
    body.append("<img src=\"data:image/png;base64,")
        .append(Base64.getEncoder().encodeToString(png))
        .append("\" alt=\"")
        .append(escape(alt))
        .append("\"/>\n");
  }

  /**
   * A table with one header row. Cells of the columns listed in {@code numeric} are right-aligned.
   */
  void table(List<String> columns, List<List<String>> rows, List<Integer> numeric) {
    body.append("<table>\n<tr>");
    for (String column : columns) {
      body.append("<th>").append(escape(column)).append("</th>");
    }
    body.append("</tr>\n");
    for (List<String> row : rows) {
      body.append("<tr>");
      for (int i = 0; i < row.size(); i++) {
        body.append(numeric.contains(i) ? "<td class=\"number\">" : "<td>")
            .append(escape(row.get(i)))
            .append("</td>");
      }
      body.append("</tr>\n");
    }
    body.append("</table>\n");
  }

  String render() {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>"
        + escape(title)
        + "</title>\n<style>\n"
        + STYLE
        + "</style>\n</head>\n<body>\n"
        + body
        + "</body>\n</html>\n";
  }

  /** Escapes text for use in element content and in double- or single-quoted attributes. */
  static String escape(String text) {
    StringBuilder escaped = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> escaped.append("&amp;");
        case '<' -> escaped.append("&lt;");
        case '>' -> escaped.append("&gt;");
        case '"' -> escaped.append("&quot;");
        case '\'' -> escaped.append("&#39;");
        // Control characters are not allowed in HTML text; they can only come from a corrupt
        // artifact.
        default -> escaped.append(c < 0x20 && c != '\n' && c != '\t' ? '\uFFFD' : c);
      }
    }
    return escaped.toString();
  }
}
