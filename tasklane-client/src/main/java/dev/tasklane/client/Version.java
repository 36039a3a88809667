package dev.tasklane.client;

/** The client's version, as it introduces itself to servers. */
final class Version {
  static final String VERSION = "0.1.0";

  private Version() {}
}
