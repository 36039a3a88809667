package dev.tasklane.server.net;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * Reads PEM certificates and keys (Bouncy Castle's parser, which knows every key encoding tools
 * write) into a key store for Jetty, or certificates into a trust store for a client.
 */
public final class PemKeyStore {
  /** The in-memory key store's password: it never leaves this process. */
  static final char[] PASSWORD = "tasklane".toCharArray();

  private PemKeyStore() {}

  /**
   * A key store holding the key and its certificate chain.
   *
   * @throws IllegalArgumentException naming the file, if one cannot be read or holds no
   *     certificate or no (unencrypted) key
   */
  public static KeyStore keyStore(TlsFiles files) {
    List<X509Certificate> chain = certificates(files.certificateChain());
    PrivateKey key = privateKey(files.privateKey());
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("tasklane", key, PASSWORD, chain.toArray(X509Certificate[]::new));
      return store;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException(
          "the key in " + files.privateKey() + " does not fit the certificate in " + files.certificateChain() + ": " + e.getMessage(), e);
    }
  }

  /** A trust store holding the certificates of a PEM file (a CA, or a self-signed server). */
  public static KeyStore trustStore(Path pem) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (X509Certificate c : certificates(pem)) {
        store.setCertificateEntry("ca-" + i++, c);
      }
      return store;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("cannot make a trust store of " + pem + ": " + e.getMessage(), e);
    }
  }

  static List<X509Certificate> certificates(Path pem) {
    List<X509Certificate> out = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(pem, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(r)) {
      JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (o instanceof X509CertificateHolder holder) {
          out.add(converter.getCertificate(holder));
        }
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read the certificates in " + pem + ": " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(pem + " holds no PEM certificate (BEGIN CERTIFICATE)");
    }
    return out;
  }

  static PrivateKey privateKey(Path pem) {
    try (Reader r = Files.newBufferedReader(pem, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(r)) {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (o instanceof PEMKeyPair pair) {
          // The private part alone: a SEC1 EC key may come without its public key.
          return converter.getPrivateKey(pair.getPrivateKeyInfo());
        }
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the key in " + pem + ": " + e.getMessage(), e);
    }
    throw new IllegalArgumentException(
        pem + " holds no unencrypted PEM private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
  }
}
