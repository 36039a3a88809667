package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class DurationConverterTest {

  @ParameterizedTest
  @CsvSource({
    "2s, PT2S",
    "500ms, PT0.5S",
    "1.5s, PT1.5S",
    "1m, PT1M",
    "2h, PT2H",
    "1d, PT24H",
    "PT2S, PT2S",
    "pt1m30s, PT1M30S",
    "2, PT2S",
    "0.25, PT0.25S",
    "0, PT0S",
    "' 3s ', PT3S",
    "10 ms, PT0.01S"
  })
  void readsUnitsIsoAndPlainSeconds(String text, String expected) {
    assertThat(DurationConverter.parse(text)).isEqualTo(Duration.parse(expected));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "soon", "2x", "-1s", "-1", "PT-1S", "1.s", "s", "1e3"})
  void refusesAnythingElseNamingTheAcceptedForms(String text) {
    assertThatThrownBy(() -> DurationConverter.parse(text))
        .isInstanceOf(TypeConversionException.class)
        .hasMessageContaining("not a duration")
        .hasMessageContaining("500ms");
  }

  @ParameterizedTest
  @ValueSource(strings = {"999999999999d", "99999999999999999999"})
  void refusesDurationsTooLongToHold(String text) {
    assertThatThrownBy(() -> DurationConverter.parse(text))
        .isInstanceOf(TypeConversionException.class)
        .hasMessageContaining("too long");
  }
}
