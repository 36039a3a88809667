package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Every {@code --help} says all its text: no summary cut short, no token split where the wrapping
 * found a break inside it ({@code ./tasklane-data} as {@code .} and {@code /tasklane-data}).
 */
class HelpTextTest {

  static Stream<String> commands() {
    return Stream.of("", "serve", "submit", "status", "bench");
  }

  @ParameterizedTest(name = "tasklane {0} --help")
  @MethodSource("commands")
  void helpShowsEveryTextWholeWithinTheUsageWidth(String command) {
    CliRun run = new CliRun();
    List<String> args = new ArrayList<>();
    if (!command.isEmpty()) {
      args.add(command);
    }
    args.add("--help");

    assertThat(run.execute(args.toArray(String[]::new))).isZero();
    String help = run.out();
    CommandLine cmd = command.isEmpty() ? run.commandLine : run.commandLine.getSubcommands().get(command);
    int width = cmd.getCommandSpec().usageMessage().width();

    assertThat(help.lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(width));
    // Lines joined back with one space must give each text as written: a text cut short, or
    // broken inside a word, path or address, does not.
    String joined = normalised(help);
    for (String text : texts(cmd.getCommandSpec())) {
      assertThat(joined).as("the help shows whole: %s", text).contains(normalised(text));
    }
  }

  /** Every description the help renders: the command's, its options', and its subcommands' summaries. */
  private static List<String> texts(CommandSpec spec) {
    List<String> texts = new ArrayList<>();
    for (String line : spec.usageMessage().description()) {
      texts.add(line.replace("%n", "\n"));
    }
    for (OptionSpec option : spec.options()) {
      texts.add(String.join(" ", option.renderedDescription()));
    }
    for (PositionalParamSpec param : spec.positionalParameters()) {
      texts.add(String.join(" ", param.renderedDescription()));
    }
    for (CommandLine sub : spec.subcommands().values()) {
      // The command list shows each subcommand's header, or else its description's first line.
      String[] header = sub.getCommandSpec().usageMessage().header();
      String[] description = sub.getCommandSpec().usageMessage().description();
      String[] summary = header.length > 0 ? header : description;
      if (summary.length > 0) {
        texts.add(summary[0].replace("%n", "\n"));
      }
    }
    texts.removeIf(String::isBlank);
    return texts;
  }

  private static String normalised(String text) {
    return text.strip().replaceAll("\\s+", " ");
  }
}
