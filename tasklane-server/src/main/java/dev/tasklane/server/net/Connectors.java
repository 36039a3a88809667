package dev.tasklane.server.net;

import java.security.KeyStore;
import java.time.Duration;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The one connector a server listens on: plain HTTP/1.1, or HTTPS offering HTTP/2 and HTTP/1.1
 * (chosen by ALPN), with slow clients cut off either way.
 *
 * <ul>
 *   <li>a request head (line and headers) must arrive within the header timeout ({@link
 *       SlowClientGuard});
 *   <li>a request body must arrive at {@value #MIN_REQUEST_BYTES_PER_SECOND} bytes a second or
 *       faster (Jetty's minimum request data rate);
 *   <li>a connection with nothing to do closes after the idle timeout.
 * </ul>
 */
public final class Connectors implements AutoCloseable {
  /**
   * Slower bodies are cut off (Jetty measures from the request's start, so a body that follows
   * its headers after a network round trip must not look slow: this is low on purpose).
   */
  public static final long MIN_REQUEST_BYTES_PER_SECOND = 256;

  /** A connection with no traffic closes after this long. */
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);

  private final KeyStore keys;
  private final SlowClientGuard guard;

  /**
   * Reads the PEM files now, so that a bad one fails before anything listens.
   *
   * @param tls the PEM files to serve HTTPS with; {@code null} for plain HTTP
   * @throws IllegalArgumentException if the PEM files cannot be read or do not fit together
   */
  public Connectors(Duration headerTimeout, TlsFiles tls) {
    this.keys = tls == null ? null : PemKeyStore.keyStore(tls);
    this.guard = new SlowClientGuard(headerTimeout);
  }

  /** Makes the connector for {@code host:port}. */
  public ServerConnector connector(Server server, HttpConfiguration base, String host, int port) {
    base.setMinRequestDataRate(MIN_REQUEST_BYTES_PER_SECOND);
    base.setIdleTimeout(IDLE_TIMEOUT.toMillis());
    ServerConnector connector;
    if (keys == null) {
      connector = new ServerConnector(server, new HttpConnectionFactory(base));
    } else {
      HttpConfiguration https = new HttpConfiguration(base);
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      // Clients may reach the server by an address the certificate does not name (127.0.0.1);
      // the Host check (allowed hosts) is what guards names.
      secure.setSniHostCheck(false);
      https.addCustomizer(secure);
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setKeyStore(keys);
      ssl.setKeyStorePassword(new String(PemKeyStore.PASSWORD));
      HttpConnectionFactory http1 = new HttpConnectionFactory(https);
      HTTP2ServerConnectionFactory http2 = new HTTP2ServerConnectionFactory(https);
      ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory();
      alpn.setDefaultProtocol(http1.getProtocol());
      connector =
          new ServerConnector(
              server, new SslConnectionFactory(ssl, alpn.getProtocol()), alpn, http2, http1);
    }
    connector.setHost(host);
    connector.setPort(port);
    connector.setIdleTimeout(IDLE_TIMEOUT.toMillis());
    connector.addEventListener(guard);
    return connector;
  }

  @Override
  public void close() {
    guard.close();
  }
}
