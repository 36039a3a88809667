package dev.tasklane.cli;

import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the version the fat jar's manifest records. */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String version = TasklaneCli.class.getPackage().getImplementationVersion();
    return new String[] {
      "tasklane " + (version == null ? "(development build)" : version),
      "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
    };
  }
}
