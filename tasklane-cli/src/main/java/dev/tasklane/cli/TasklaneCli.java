package dev.tasklane.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code tasklane} command: {@code serve}, {@code submit}, {@code status}, {@code bench},
 * {@code token}, {@code user}.
 *
 * <p>Exit codes ({@link ExitCodes}): 0 done; 1 the server refused or the command failed; 2 bad
 * usage; 3 no server reachable.
 */
@Command(
    name = "tasklane",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "A durable background-task engine: run a server, submit tasks, watch them.",
    footer = {
      "",
      "Start a server:   tasklane serve",
      "Submit a task:    tasklane submit process_task '{\"data\": \"hello\"}'",
      "Watch it:         tasklane status <task-id>",
      "Repeat it:        tasklane schedule set nightly --cron '0 3 * * *' --type process_task",
      "Measure it:       tasklane bench --store sqlite",
      "Make a token:     tasklane token create --name admin --role admin"
    })
public final class TasklaneCli implements Callable<Integer> {

  @Spec CommandSpec spec;

  private final Map<String, String> env;
  private final ShutdownHooks hooks;

  TasklaneCli(Map<String, String> env, ShutdownHooks hooks) {
    this.env = Map.copyOf(env);
    this.hooks = hooks;
  }

  /** Runs the command line and exits the JVM with its exit code. */
  public static void main(String[] args) {
    int code = new TasklaneCli(System.getenv(), ShutdownHooks.jvm()).commandLine().execute(args);
    System.exit(code);
  }

  /** Without a subcommand there is nothing to do: show what there is. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCodes.USAGE;
  }

  /** The configured picocli command line; {@code execute(args)} runs it and returns the exit code. */
  CommandLine commandLine() {
    CommandLine cli = new CommandLine(this);
    cli.addSubcommand(new ServeCommand(hooks));
    cli.addSubcommand(new SubmitCommand());
    cli.addSubcommand(new StatusCommand());
    cli.addSubcommand(new ScheduleCommand());
    cli.addSubcommand(new BenchCommand(hooks));
    cli.addSubcommand(new TokenCommand());
    cli.addSubcommand(new UserCommand());
    cli.addSubcommand(new HelpCommand());
    cli.registerConverter(Duration.class, new DurationConverter());
    cli.setDefaultValueProvider(new EnvDefaults(env));
    // The bench reads only its database URL from the environment: serve's TASKLANE_CONCURRENCY
    // and friends must not change what a benchmark measures.
    cli.getSubcommands().get("bench").setDefaultValueProvider(BenchCommand.environment(env));
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler(TasklaneCli::failed);
    cli.setParameterExceptionHandler(new UsageErrorHandler());
    return cli;
  }

  /**
   * Known failures print their message alone; anything else also names its class, for a bug
   * report. (A {@code ParameterException} from a command's own checks never gets here: picocli
   * hands it to the {@link UsageErrorHandler}, which exits {@value ExitCodes#USAGE}.)
   */
  private static int failed(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    if (e instanceof CommandFailedException f) {
      err.println("tasklane " + cmd.getCommandName() + ": " + f.getMessage());
      err.flush();
      return f.exitCode();
    }
    err.println("tasklane " + cmd.getCommandName() + ": unexpected error: " + e);
    err.flush();
    return ExitCodes.FAILED;
  }
}
