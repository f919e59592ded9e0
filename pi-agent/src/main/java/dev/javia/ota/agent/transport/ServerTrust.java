package dev.javia.ota.agent.transport;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Collection;

/**
 * {@code SERVER_CA_FILE}: the CA certificates (PEM) that the server's TLS certificate must chain to, in place of the
 * system's trust store. With it, a certificate from any other CA, even one the system trusts, is refused: whoever
 * can get a certificate for the server's name from a public CA (or adds one to the Pi's store) cannot stand in for
 * the server.
 *
 * @param file the file it was read from, for error messages
 */
record ServerTrust(Path file, SSLSocketFactory socketFactory, X509TrustManager trustManager) {

    private static final String PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----";

    /**
     * Reads {@code file}. A missing, unreadable or empty file, or one without a PEM certificate, stops the start: an
     * agent that fell back to the system's store would silently trust what the operator meant to exclude.
     */
    static ServerTrust load(Path file) {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("SERVER_CA_FILE " + file + " does not exist: copy the server's CA "
                    + "certificate (PEM) there, or leave SERVER_CA_FILE empty to trust the system's CAs");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read SERVER_CA_FILE " + file + " (" + e.getMessage() + "): check "
                    + "that the agent's user may read it");
        }
        if (!new String(content, StandardCharsets.US_ASCII).contains(PEM_CERTIFICATE)) {
            throw new IllegalStateException("SERVER_CA_FILE " + file + " holds no PEM certificate (" + PEM_CERTIFICATE
                    + "): give the CA certificate that signed the server's TLS certificate, in PEM");
        }
        Collection<? extends Certificate> certificates;
        try {
            certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(content));
        } catch (CertificateException e) {
            throw new IllegalStateException("SERVER_CA_FILE " + file + " is not a readable PEM certificate ("
                    + e.getMessage() + "): give the CA certificate that signed the server's TLS certificate", e);
        }
        if (certificates.isEmpty()) {
            throw new IllegalStateException("SERVER_CA_FILE " + file + " holds no certificate: give the CA certificate "
                    + "that signed the server's TLS certificate, in PEM");
        }
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate certificate : certificates) {
                store.setCertificateEntry("server-ca-" + i++, certificate);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            X509TrustManager trustManager = null;
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    trustManager = x509;
                }
            }
            if (trustManager == null) {
                throw new IllegalStateException("this Java runtime made no X.509 trust manager");
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {trustManager}, null);
            return new ServerTrust(file, context.getSocketFactory(), trustManager);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot trust the certificates of SERVER_CA_FILE " + file + ": "
                    + e.getMessage(), e);
        }
    }

    int certificates() {
        return trustManager.getAcceptedIssuers().length;
    }
}
