package dev.tasklane.server.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keys as the openssl command writes them, in each encoding a user may hand to {@code
 * --tls-key}: PKCS#8, PKCS#1 RSA, SEC1 EC.
 */
class PemKeyStoreTest {
  @TempDir Path dir;

  private void openssl(String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(String.join(" ", command) + "\n" + out).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"pkcs8-rsa", "pkcs1-rsa", "sec1-ec"})
  void aKeyInEachEncodingOpensslWritesLoadsWithItsCertificate(String kind) throws Exception {
    switch (kind) {
      case "pkcs8-rsa" -> openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "key.pem");
      case "pkcs1-rsa" -> openssl("genrsa", "-traditional", "-out", "key.pem", "2048");
      default -> openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "key.pem");
    }
    openssl("req", "-new", "-x509", "-key", "key.pem", "-out", "cert.pem", "-days", "1", "-subj", "/CN=localhost");
    String head = Files.readAllLines(dir.resolve("key.pem")).get(0);
    assertThat(head)
        .isEqualTo(
            switch (kind) {
              case "pkcs8-rsa" -> "-----BEGIN PRIVATE KEY-----";
              case "pkcs1-rsa" -> "-----BEGIN RSA PRIVATE KEY-----";
              default -> "-----BEGIN EC PRIVATE KEY-----";
            });

    KeyStore store = PemKeyStore.keyStore(new TlsFiles(dir.resolve("cert.pem"), dir.resolve("key.pem")));

    assertThat(store.isKeyEntry("tasklane")).isTrue();
    assertThat(store.getCertificateChain("tasklane")).hasSize(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"encrypted", "cert-as-key"})
  void aKeyItCannotUseIsRefusedNamingTheFile(String kind) throws Exception {
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "key.pem");
    openssl("req", "-new", "-x509", "-key", "key.pem", "-out", "cert.pem", "-days", "1", "-subj", "/CN=localhost");
    Path key = dir.resolve("key.pem");
    if (kind.equals("encrypted")) {
      openssl("pkcs8", "-topk8", "-in", "key.pem", "-out", "enc.pem", "-passout", "pass:secret");
      key = dir.resolve("enc.pem");
    } else {
      key = dir.resolve("cert.pem");
    }
    Path k = key;
    assertThatThrownBy(() -> PemKeyStore.keyStore(new TlsFiles(dir.resolve("cert.pem"), k)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(k.getFileName().toString())
        .hasMessageContaining("no unencrypted PEM private key");
  }
}
