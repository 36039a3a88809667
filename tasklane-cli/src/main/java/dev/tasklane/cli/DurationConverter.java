package dev.tasklane.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads durations as people write them: {@code 2s}, {@code 500ms}, {@code 1.5s}, {@code 1m},
 * {@code 2h}, {@code 1d}, ISO-8601 {@code PT2S}, or a plain number of seconds ({@code 2}, {@code
 * 0.5}). Negative durations are refused.
 */
final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern HUMAN =
      Pattern.compile("(\\d+(?:\\.\\d+)?|\\.\\d+)\\s*(ms|s|m|h|d)?");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /**
   * @throws TypeConversionException naming the accepted forms, for anything else
   */
  static Duration parse(String value) {
    String text = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
    if (text.startsWith("p") || text.startsWith("-p")) {
      Duration d;
      try {
        d = Duration.parse(text.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw invalid(value);
      }
      if (d.isNegative()) {
        throw invalid(value);
      }
      return d;
    }
    Matcher m = HUMAN.matcher(text);
    if (!m.matches()) {
      throw invalid(value);
    }
    BigDecimal amount = new BigDecimal(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    BigDecimal nanosPerUnit =
        switch (unit) {
          case "ms" -> BigDecimal.valueOf(1_000_000L);
          case "s" -> BigDecimal.valueOf(1_000_000_000L);
          case "m" -> BigDecimal.valueOf(60_000_000_000L);
          case "h" -> BigDecimal.valueOf(3_600_000_000_000L);
          case "d" -> BigDecimal.valueOf(86_400_000_000_000L);
          default -> throw invalid(value);
        };
    try {
      long nanos = amount.multiply(nanosPerUnit).setScale(0, RoundingMode.HALF_UP).longValueExact();
      return Duration.ofNanos(nanos);
    } catch (ArithmeticException e) {
      throw new TypeConversionException("'" + value + "' is too long a duration");
    }
  }

  private static TypeConversionException invalid(String value) {
    return new TypeConversionException(
        "'"
            + value
            + "' is not a duration; use e.g. 2s, 500ms, 1.5s, 1m, 2h, 1d, PT2S or a number of seconds");
  }
}
