package dev.tasklane.server.net;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The PEM files a server serves HTTPS with.
 *
 * @param certificateChain the server's certificate, then any intermediates, as PEM
 * @param privateKey its private key as PEM: PKCS#8 ({@code BEGIN PRIVATE KEY}), or PKCS#1 RSA or
 *     SEC1 EC ({@code BEGIN RSA/EC PRIVATE KEY}); not encrypted
 */
public record TlsFiles(Path certificateChain, Path privateKey) {
  public TlsFiles {
    Objects.requireNonNull(certificateChain, "certificateChain");
    Objects.requireNonNull(privateKey, "privateKey");
  }
}
