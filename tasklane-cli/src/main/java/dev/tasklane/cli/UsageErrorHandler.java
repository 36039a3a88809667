package dev.tasklane.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * A command-line mistake prints one line that names it and the help to read, then exits {@value
 * ExitCodes#USAGE}: {@code tasklane serve: unknown option '--bogus'; see 'tasklane serve --help'}.
 * The whole help, which picocli prints by default, buries the one thing that was wrong.
 *
 * <p>The same handler gets the commands' own checks ({@code --port must be between ...}), which
 * they throw as {@link ParameterException}s.
 */
final class UsageErrorHandler implements IParameterExceptionHandler {

  @Override
  public int handleParseException(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    String name = cmd.getCommandSpec().qualifiedName(" ");
    PrintWriter err = cmd.getErr();
    err.println(name + ": " + mistake(e, args) + "; see '" + name + " --help'");
    err.flush();
    return ExitCodes.USAGE;
  }

  /** What was wrong, in one line. */
  static String mistake(ParameterException e, String[] args) {
    if (e instanceof UnmatchedArgumentException u) {
      return unmatched(u);
    }
    String message = oneLine(e.getMessage());
    String variable = variableBehind(e.getCommandLine(), e.getArgSpec(), args);
    return variable == null ? message : message + " (from the environment: " + variable + ")";
  }

  private static String unmatched(UnmatchedArgumentException u) {
    List<String> unmatched = u.getUnmatched();
    String what;
    if (u.isUnknownOption()) {
      List<String> options = unmatched.stream().filter(a -> a.startsWith("-")).toList();
      what = (options.size() == 1 ? "unknown option " : "unknown options ") + quoted(options);
    } else if (!u.getCommandLine().getSubcommands().isEmpty()) {
      what = "unknown command " + quoted(unmatched.subList(0, 1));
    } else {
      what = (unmatched.size() == 1 ? "unexpected argument " : "unexpected arguments ") + quoted(unmatched);
    }
    String typed = unmatched.get(0);
    var spec = u.getCommandLine().getCommandSpec();
    Stream<String> names =
        typed.startsWith("-")
            ? spec.options().stream().flatMap(o -> Arrays.stream(o.names()))
            : spec.subcommands().keySet().stream();
    List<String> close =
        names
            .filter(name -> isTypoOf(typed, name))
            .sorted(Comparator.comparingInt(name -> distance(strip(typed), strip(name))))
            .limit(2)
            .toList();
    if (!close.isEmpty()) {
      what += " (did you mean " + quoted(close).replace(", ", " or ") + "?)";
    }
    return what;
  }

  /**
   * Whether {@code typed} is a slip of {@code meant}: a few letters off, swapped, missing or extra;
   * a name that is merely the nearest ({@code status} for {@code bogus}) helps no one.
   */
  static boolean isTypoOf(String typed, String meant) {
    String a = strip(typed);
    String b = strip(meant);
    return distance(a, b) <= Math.max(1, Math.min(a.length(), b.length()) / 3);
  }

  private static String strip(String name) {
    int eq = name.indexOf('=');
    return (eq < 0 ? name : name.substring(0, eq)).replaceFirst("^-+", "").toLowerCase(Locale.ROOT);
  }

  /** Optimal string alignment distance: edits, with a swap of neighbours counting as one. */
  private static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  /**
   * The environment variable that supplied a bad value, or {@code null} when the value was typed:
   * a user who never typed {@code --concurrency} needs to hear where {@code many} came from.
   */
  private static String variableBehind(CommandLine cmd, ArgSpec arg, String[] args) {
    if (!(arg instanceof OptionSpec option) || cmd.getDefaultValueProvider() == null) {
      return null;
    }
    String variable = EnvDefaults.VARIABLES.get(option.longestName());
    String fromEnvironment;
    try {
      fromEnvironment = cmd.getDefaultValueProvider().defaultValue(option);
    } catch (Exception notReadable) {
      return null;
    }
    if (variable == null || fromEnvironment == null) {
      return null;
    }
    boolean typed =
        Arrays.stream(args)
            .anyMatch(a -> Arrays.stream(option.names()).anyMatch(n -> a.equals(n) || a.startsWith(n + "=")));
    return typed ? null : variable;
  }

  private static String quoted(List<String> values) {
    return values.stream().map(v -> "'" + v + "'").collect(Collectors.joining(", "));
  }

  /**
   * picocli's own messages start with a capital ({@code Missing required parameter: ...}); after
   * the command's name and a colon they read better in lower case. Several lines become one.
   */
  private static String oneLine(String message) {
    String text = message == null ? "invalid command line" : message.strip().replaceAll("\\s*\\R\\s*", "; ");
    if (text.length() > 1
        && Character.isUpperCase(text.charAt(0))
        && Character.isLowerCase(text.charAt(1))) {
      text = text.substring(0, 1).toLowerCase(Locale.ROOT) + text.substring(1);
    }
    return text;
  }
}
