/*
 * JavaTlsClient: a one-file Java 17 gRPC-over-mTLS probe for the end-to-end harness.
 *
 *   java harness/clients/JavaTlsClient.java --address 127.0.0.1:7233 \
 *        --server-name frontend.temporal.demo --ca root-ca.pem \
 *        (--cert client-chain.pem --key client.pkcs8.pem | --pfx client.pfx [--pfx-pass PASS]) \
 *        [--namespace default] [--timeout 10]
 *
 * It sends one real unary gRPC call, WorkflowService/DescribeNamespace, over HTTP/2 + TLS with
 * nothing but the JDK (java.net.http.HttpClient, JSSE), and prints exactly one JSON line:
 *   {"ok":true,"client":"java","namespace":"default"}                 exit 0
 *   {"ok":false,"client":"java","error":"<exception class>: <text>"}  exit 1
 *
 * How the server name is verified (the part java.net.http does not offer directly):
 *   HttpClient always takes SNI, the HTTPS host check and the HTTP/2 :authority from the URI
 *   host, and it has no "connect to this address but call it that name" switch. Java 17 has no
 *   pluggable resolver either (that SPI is Java 18+). So the URI host IS the --server-name, and
 *   the name is pinned to the --address IP through the JDK's own hosts-file name service: the
 *   system property jdk.net.hosts.file is set, first thing in main and before java.net.InetAddress
 *   is initialised, to a private temporary file holding the single line "IP NAME". The program
 *   then checks that NAME really resolves to that IP before any connection (and fails otherwise).
 *   The effect is that the JDK does everything a browser-grade client does, unmodified:
 *     - SNI = NAME (HttpClient puts the URI host in the ClientHello; our SSLParameters say the same),
 *     - endpoint identification "HTTPS" (RFC 2818 / 6125 SAN matching) against NAME, performed by
 *       the JDK's X509TrustManager after PKIX validation against the --ca file only,
 *     - :authority = NAME:PORT, as a gRPC client with an authority override would send.
 *   No trust manager or hostname verifier is replaced, so a certificate that does not name NAME,
 *   or does not chain to the --ca file, fails the handshake inside the JDK.
 *   The rejected alternative (URI host = IP, SSLEngine peer host rewritten to NAME by a wrapped
 *   SSLContext) also verifies, but sends :authority = IP and would need a custom SSLContextSpi.
 *   A --server-name that is itself an IP literal cannot be pinned this way; it must then equal the
 *   --address host, and the JDK checks the certificate's IP SANs against it.
 *
 * The client identity: a fixed X509ExtendedKeyManager always offers the configured key + chain
 * (when its key type fits the server's request), whatever CA names the server lists, just as
 * OpenSSL- or Go-based gRPC clients do, so a wrong identity is judged by the server, not hidden.
 *
 * gRPC status: HttpClient exposes response headers but not HTTP/2 trailers, where a successful
 * gRPC call puts grpc-status. A failed call usually comes back "trailers-only" (grpc-status in
 * the headers, which we read). For the trailers we use the JDK's documented HttpClient debug
 * logging (jdk.httpclient.HttpClient.log=headers): it logs every trailer block through the
 * platform logger, and a private java.util.logging handler reads "grpc-status" out of it and
 * keeps it off the console. Success requires HTTP/2, status 200, content-type application/grpc,
 * grpc-status 0 (from headers or trailers; if neither is seen the call counts as failed), and a
 * DescribeNamespaceResponse whose namespace_info.name equals the namespace asked for.
 *
 * A rejected client certificate: under TLS 1.3 the server's verdict comes after the client's
 * handshake is done, so HttpClient often reports only "Broken pipe"; see reprobeAfterBareIoError
 * for the extra handshake that then names the server's alert in the error text.
 *
 * PKCS#12: KeyStore "PKCS12" loads the file first (this also checks its MAC with the given
 * password). The JDK ignores unencrypted "keyBag" entries (as written by e.g. Python's
 * cryptography with NoEncryption), so when the keystore has no key entry, the plain keyBag and
 * certBag entries are read from the file's unencrypted contents by a small DER walker below.
 */

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

public final class JavaTlsClient {

    private static final String CLIENT = "java";
    private static final String METHOD_PATH =
            "/temporal.api.workflowservice.v1.WorkflowService/DescribeNamespace";

    /** The JUL logger that java.net.http logs through; held strongly so it is never collected. */
    private static java.util.logging.Logger httpClientLog;
    /** The grpc-status value seen in the HTTP/2 trailers (set by the log handler). */
    private static volatile String trailerGrpcStatus;
    private static volatile String trailerGrpcMessage;

    /** Whoever sets this prints the verdict: main, or the watchdog. */
    private static final java.util.concurrent.atomic.AtomicBoolean REPORTED =
            new java.util.concurrent.atomic.AtomicBoolean();

    private static final long WATCHDOG_GRACE_MS = 5000;

    public static void main(String[] argv) {
        Path hostsFile = null;
        int exit;
        try {
            Options opts = Options.parse(argv);
            startWatchdog(opts.timeout.toMillis() + WATCHDOG_GRACE_MS);
            hostsFile = pinServerName(opts); // must run before anything initialises InetAddress
            String name = call(opts);
            report("{\"ok\":true,\"client\":" + json(CLIENT) + ",\"namespace\":" + json(name) + "}");
            exit = 0;
        } catch (Throwable t) {
            report("{\"ok\":false,\"client\":" + json(CLIENT) + ",\"error\":" + json(describe(t)) + "}");
            exit = 1;
        } finally {
            if (hostsFile != null) {
                try {
                    Files.deleteIfExists(hostsFile);
                } catch (IOException ignored) {
                    // a leftover one-line temp file is harmless
                }
            }
        }
        System.out.flush();
        System.exit(exit);
    }

    private static void report(String line) {
        if (REPORTED.compareAndSet(false, true)) {
            System.out.println(line);
            System.out.flush();
        }
    }

    /**
     * HttpClient's connect and request timeouts bound the call; this is the backstop for anything
     * else (a stuck key-store load, a slow re-probe): the verdict is printed and the JVM halted.
     */
    private static void startWatchdog(long afterMs) {
        Thread w = new Thread(() -> {
            try {
                Thread.sleep(afterMs);
            } catch (InterruptedException e) {
                return;
            }
            if (REPORTED.compareAndSet(false, true)) {
                System.out.println("{\"ok\":false,\"client\":" + json(CLIENT) + ",\"error\":"
                        + json("java.util.concurrent.TimeoutException: no verdict within " + afterMs + " ms (watchdog)")
                        + "}");
                System.out.flush();
                Runtime.getRuntime().halt(1);
            }
        }, "watchdog");
        w.setDaemon(true);
        w.start();
    }

    // ------------------------------------------------------------------------------------------
    // Command line

    static final class Options {
        String host;      // IP literal, without brackets
        int port;
        String serverName;
        Path ca;
        Path cert;
        Path key;
        Path pfx;
        String pfxPass = "";
        String namespace = "default";
        Duration timeout = Duration.ofSeconds(10);

        static Options parse(String[] argv) {
            Map<String, String> seen = new LinkedHashMap<>();
            for (int i = 0; i < argv.length; i++) {
                String a = argv[i];
                if (!a.startsWith("--")) {
                    throw new IllegalArgumentException("unexpected argument '" + a + "'");
                }
                String flag;
                String value;
                int eq = a.indexOf('=');
                if (eq > 0) {
                    flag = a.substring(2, eq);
                    value = a.substring(eq + 1);
                } else {
                    flag = a.substring(2);
                    if (i + 1 >= argv.length) {
                        throw new IllegalArgumentException("--" + flag + " needs a value");
                    }
                    value = argv[++i];
                }
                if (!List.of("address", "server-name", "ca", "cert", "key", "pfx", "pfx-pass",
                        "namespace", "timeout").contains(flag)) {
                    throw new IllegalArgumentException("unknown option --" + flag);
                }
                if (seen.put(flag, value) != null) {
                    throw new IllegalArgumentException("--" + flag + " given twice");
                }
            }
            Options o = new Options();
            o.parseAddress(required(seen, "address"));
            o.serverName = required(seen, "server-name");
            o.ca = Path.of(required(seen, "ca"));
            boolean pem = seen.containsKey("cert") || seen.containsKey("key");
            boolean p12 = seen.containsKey("pfx");
            if (pem == p12) {
                throw new IllegalArgumentException("give either --cert and --key, or --pfx");
            }
            if (pem) {
                o.cert = Path.of(required(seen, "cert"));
                o.key = Path.of(required(seen, "key"));
            } else {
                o.pfx = Path.of(seen.get("pfx"));
                o.pfxPass = seen.getOrDefault("pfx-pass", "");
            }
            if (!p12 && seen.containsKey("pfx-pass")) {
                throw new IllegalArgumentException("--pfx-pass only goes with --pfx");
            }
            o.namespace = seen.getOrDefault("namespace", "default");
            if (o.namespace.isEmpty()) {
                throw new IllegalArgumentException("--namespace is empty");
            }
            if (seen.containsKey("timeout")) {
                double s = Double.parseDouble(seen.get("timeout"));
                if (!(s > 0 && s <= 600)) {
                    throw new IllegalArgumentException("--timeout must be in (0, 600] seconds");
                }
                o.timeout = Duration.ofMillis((long) (s * 1000));
            }
            return o;
        }

        private static String required(Map<String, String> seen, String flag) {
            String v = seen.get(flag);
            if (v == null || v.isEmpty()) {
                throw new IllegalArgumentException("--" + flag + " is required");
            }
            return v;
        }

        private void parseAddress(String address) {
            String hostPart;
            String portPart;
            if (address.startsWith("[")) {
                int close = address.indexOf("]:");
                if (close < 0) {
                    throw new IllegalArgumentException("--address must be [IPv6]:PORT or IPv4:PORT");
                }
                hostPart = address.substring(1, close);
                portPart = address.substring(close + 2);
            } else {
                int colon = address.lastIndexOf(':');
                if (colon <= 0 || address.indexOf(':') != colon) {
                    throw new IllegalArgumentException("--address must be IPv4:PORT or [IPv6]:PORT");
                }
                hostPart = address.substring(0, colon);
                portPart = address.substring(colon + 1);
            }
            if (!isIpLiteral(hostPart)) {
                throw new IllegalArgumentException("--address host must be an IP literal, got '" + hostPart + "'");
            }
            int p = Integer.parseInt(portPart);
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("--address port out of range: " + p);
            }
            host = hostPart;
            port = p;
        }
    }

    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    private static final Pattern DNS_NAME = Pattern.compile(
            "(?i)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\\.?");

    static boolean isIpLiteral(String s) {
        return IPV4.matcher(s).matches() || (IPV6.matcher(s).matches() && s.length() <= 45);
    }

    // ------------------------------------------------------------------------------------------
    // Server-name pinning (see the header comment)

    /** Pins --server-name to the --address IP; returns the temp hosts file, or null if unused. */
    static Path pinServerName(Options o) throws IOException {
        // A set value of this JDK property would turn HttpClient's host check off; refuse to honour it.
        System.clearProperty("jdk.internal.httpclient.disableHostnameVerification");
        // Ask java.net.http to log header blocks so the trailers (grpc-status) become visible.
        System.setProperty("jdk.httpclient.HttpClient.log", "headers");
        installTrailerTap();

        if (isIpLiteral(o.serverName)) {
            String a = InetAddress.getByName(o.host).getHostAddress();
            String b = InetAddress.getByName(o.serverName).getHostAddress();
            if (!a.equals(b)) {
                throw new IllegalArgumentException("--server-name " + o.serverName
                        + " is an IP literal different from the --address host " + o.host
                        + "; an IP name cannot be redirected to another address");
            }
            return null;
        }
        if (!DNS_NAME.matcher(o.serverName).matches() || o.serverName.length() > 253) {
            throw new IllegalArgumentException("--server-name is not a DNS host name: '" + o.serverName + "'");
        }
        Path f = Files.createTempFile("java-tls-client-hosts-", ".txt",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(f, o.host + " " + o.serverName + "\n", StandardCharsets.US_ASCII);
        System.setProperty("jdk.net.hosts.file", f.toString());
        // From here on the JDK resolves names only from that file. Prove the pin took effect.
        InetAddress want = InetAddress.getByName(o.host);
        InetAddress got;
        try {
            got = InetAddress.getByName(o.serverName);
        } catch (IOException e) {
            throw new IllegalStateException("could not pin " + o.serverName + " to " + o.host
                    + " (InetAddress was initialised before jdk.net.hosts.file was set?): " + e, e);
        }
        if (!Arrays.equals(want.getAddress(), got.getAddress())) {
            throw new IllegalStateException("could not pin " + o.serverName + " to " + o.host
                    + ": it resolves to " + got.getHostAddress());
        }
        return f;
    }

    static void installTrailerTap() {
        httpClientLog = java.util.logging.Logger.getLogger("jdk.httpclient.HttpClient");
        httpClientLog.setUseParentHandlers(false);
        httpClientLog.setLevel(java.util.logging.Level.INFO);
        httpClientLog.addHandler(new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                String m = r.getMessage();
                if (m == null || !m.contains("TRAILING HEADERS:")) {
                    return;
                }
                for (String line : m.split("\n")) {
                    String t = line.trim();
                    if (t.startsWith("grpc-status:")) {
                        trailerGrpcStatus = t.substring("grpc-status:".length()).trim();
                    } else if (t.startsWith("grpc-message:")) {
                        trailerGrpcMessage = t.substring("grpc-message:".length()).trim();
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        // The platform (system) logger for java.net.http is a separate JUL logger that copies the
        // handlers above when it is created, but its records would still reach the root console
        // handler; keep that noise off stderr.
        for (java.util.logging.Handler h : java.util.logging.Logger.getLogger("").getHandlers()) {
            java.util.logging.Filter prev = h.getFilter();
            h.setFilter(r -> !"jdk.httpclient.HttpClient".equals(r.getLoggerName())
                    && (prev == null || prev.isLoggable(r)));
        }
    }

    // ------------------------------------------------------------------------------------------
    // The call

    static String call(Options o) throws Exception {
        X509Certificate[] trust = readCertificates(o.ca);
        if (trust.length == 0) {
            throw new GeneralSecurityException("no CERTIFICATE in --ca " + o.ca);
        }
        Identity id = o.pfx != null ? Identity.fromPkcs12(o.pfx, o.pfxPass) : Identity.fromPem(o.cert, o.key);

        KeyStore trustStore = KeyStore.getInstance("PKCS12");
        trustStore.load(null, null);
        for (int i = 0; i < trust.length; i++) {
            trustStore.setCertificateEntry("ca-" + i, trust[i]);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trustStore); // only the --ca file: the JDK's cacerts are not consulted

        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(new javax.net.ssl.KeyManager[] {new FixedIdentityKeyManager(id)}, tmf.getTrustManagers(),
                new SecureRandom());

        SSLParameters params = ctx.getDefaultSSLParameters();
        params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        params.setEndpointIdentificationAlgorithm("HTTPS");
        if (!isIpLiteral(o.serverName)) {
            params.setServerNames(List.of(new SNIHostName(o.serverName)));
        }

        String uriHost = o.serverName.contains(":") ? "[" + o.serverName + "]" : o.serverName;
        URI uri = URI.create("https://" + uriHost + ":" + o.port + METHOD_PATH);

        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_2)
                .sslContext(ctx)
                .sslParameters(params)
                .connectTimeout(o.timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .proxy(java.net.ProxySelector.of(null))
                .build();

        byte[] message = encodeDescribeNamespaceRequest(o.namespace);
        HttpRequest req = HttpRequest.newBuilder(uri)
                .timeout(o.timeout)
                .header("content-type", "application/grpc")
                .header("te", "trailers")
                .header("grpc-timeout", Math.max(1, o.timeout.toMillis()) + "m")
                .header("user-agent", "harness-java-tls-client/1 (java.net.http)")
                .POST(HttpRequest.BodyPublishers.ofByteArray(grpcFrame(message)))
                .build();

        HttpResponse<byte[]> resp;
        try {
            resp = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            String probe = reprobeAfterBareIoError(e, ctx, params, o);
            if (probe == null) {
                throw e;
            }
            throw new AnnotatedFailure(describe(e) + " [TLS re-probe: " + probe + "]", e);
        }
        return checkResponse(resp, o.namespace);
    }

    /**
     * With TLS 1.3 the client's handshake is over before the server has judged the client
     * certificate. When the server then rejects it, HttpClient is usually already writing the
     * HTTP/2 preface and reports a bare "Broken pipe" / "Connection reset" instead of the server's
     * alert (a race: now and then the alert wins). For such an error without any TLS exception in
     * it, one plain JSSE handshake with the same context and parameters is made, and a read waits
     * briefly for what the server says next; that outcome (e.g. "Received fatal alert: unknown_ca")
     * is appended to the error. The server's close can overtake its own alert here too (the
     * kernel reports "Connection reset"), so up to three probes are made until one shows a TLS
     * verdict. This only explains a failure; it never turns one into success.
     */
    static String reprobeAfterBareIoError(IOException e, SSLContext ctx, SSLParameters params, Options o) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof javax.net.ssl.SSLException || c instanceof java.net.ConnectException
                    || c instanceof java.net.http.HttpTimeoutException) {
                return null;
            }
        }
        String outcome = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            outcome = probeOnce(ctx, params, o);
            if (outcome.startsWith("javax.net.ssl.")) {
                break; // the server's alert, or a local TLS verdict: the telling answer
            }
            // else e.g. "Connection reset": the server's RST overtook its alert; try again
        }
        return outcome;
    }

    /**
     * One handshake driven through an SSLEngine over a plain socket, so that a failed write (the
     * server has closed) does not stop us from reading what the server sent before closing: its
     * alert is unwrapped by the engine and comes out as an SSLException naming it.
     */
    private static String probeOnce(SSLContext ctx, SSLParameters params, Options o) {
        int budget = (int) Math.min(3000, Math.max(500, o.timeout.toMillis()));
        long until = System.nanoTime() + budget * 1_000_000L;
        boolean handshakeDone = false;
        IOException writeFailure = null;
        try (Socket sock = new Socket()) {
            sock.connect(new java.net.InetSocketAddress(InetAddress.getByName(o.host), o.port), budget);
            sock.setSoTimeout(budget);
            InputStream in = sock.getInputStream();
            java.io.OutputStream out = sock.getOutputStream();
            SSLEngine engine = ctx.createSSLEngine(o.serverName, o.port);
            engine.setUseClientMode(true);
            SSLParameters p = ctx.getDefaultSSLParameters();
            p.setProtocols(params.getProtocols());
            p.setEndpointIdentificationAlgorithm("HTTPS");
            if (params.getServerNames() != null) {
                p.setServerNames(params.getServerNames());
            }
            p.setApplicationProtocols(new String[] {"h2"});
            engine.setSSLParameters(p);
            int packet = engine.getSession().getPacketBufferSize();
            java.nio.ByteBuffer netIn = java.nio.ByteBuffer.allocate(packet * 2);
            java.nio.ByteBuffer netOut = java.nio.ByteBuffer.allocate(packet * 2);
            java.nio.ByteBuffer app = java.nio.ByteBuffer.allocate(engine.getSession().getApplicationBufferSize() * 2);
            byte[] chunk = new byte[packet];
            engine.beginHandshake();
            while (System.nanoTime() < until) {
                javax.net.ssl.SSLEngineResult.HandshakeStatus hs = engine.getHandshakeStatus();
                if (hs == javax.net.ssl.SSLEngineResult.HandshakeStatus.NEED_TASK) {
                    for (Runnable task; (task = engine.getDelegatedTask()) != null; ) {
                        task.run();
                    }
                    continue;
                }
                if (hs == javax.net.ssl.SSLEngineResult.HandshakeStatus.NEED_WRAP) {
                    netOut.clear();
                    engine.wrap(java.nio.ByteBuffer.allocate(0), netOut);
                    netOut.flip();
                    if (writeFailure == null && netOut.hasRemaining()) {
                        try {
                            out.write(netOut.array(), 0, netOut.limit());
                            out.flush();
                        } catch (IOException e) {
                            writeFailure = e; // keep reading: the reason may already be in flight
                        }
                    }
                    continue;
                }
                if (hs == javax.net.ssl.SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING
                        || hs == javax.net.ssl.SSLEngineResult.HandshakeStatus.FINISHED) {
                    handshakeDone = true;
                }
                // NEED_UNWRAP, or done and waiting for the server's next word
                netIn.flip();
                javax.net.ssl.SSLEngineResult r = netIn.hasRemaining() ? engine.unwrap(netIn, app) : null;
                netIn.compact();
                if (r != null && r.getStatus() == javax.net.ssl.SSLEngineResult.Status.CLOSED) {
                    return "the server closed TLS (close_notify)" + (handshakeDone ? " after the handshake" : "");
                }
                if (handshakeDone && app.position() > 0) {
                    return "handshake done and the server kept talking (no rejection seen)";
                }
                if (r == null || r.getStatus() == javax.net.ssl.SSLEngineResult.Status.BUFFER_UNDERFLOW
                        || (r.bytesConsumed() == 0 && r.bytesProduced() == 0)) {
                    int n = in.read(chunk, 0, Math.min(chunk.length, netIn.remaining()));
                    if (n < 0) {
                        return (handshakeDone ? "handshake done, then the server closed the connection"
                                : "the server closed the connection during the handshake")
                                + (writeFailure != null ? " (" + describe(writeFailure) + ")" : "");
                    }
                    netIn.put(chunk, 0, n);
                }
            }
            return "no verdict within " + budget + " ms";
        } catch (java.net.SocketTimeoutException t) {
            return handshakeDone ? "handshake done, no alert within " + budget + " ms" : describe(t);
        } catch (IOException | RuntimeException t) {
            return describe(t);
        }
    }

    static String checkResponse(HttpResponse<byte[]> resp, String namespace) throws Exception {
        HttpHeaders h = resp.headers();
        if (resp.version() != HttpClient.Version.HTTP_2) {
            throw new GrpcCallException("server answered over " + resp.version() + ", gRPC needs HTTP/2");
        }
        Optional<String> headerStatus = h.firstValue("grpc-status");
        if (resp.statusCode() != 200) {
            throw new GrpcCallException("HTTP status " + resp.statusCode()
                    + headerStatus.map(s -> ", grpc-status " + s).orElse(""));
        }
        String ct = h.firstValue("content-type").orElse("");
        if (!ct.startsWith("application/grpc")) {
            throw new GrpcCallException("content-type is '" + ct + "', not application/grpc");
        }
        if (headerStatus.isPresent() && !headerStatus.get().equals("0")) {
            throw new GrpcStatusException(headerStatus.get(), h.firstValue("grpc-message").orElse(""));
        }
        // Trailers are logged before the stream's end is delivered to the body, so they are normally
        // here already; allow a little slack for thread hand-over.
        long until = System.nanoTime() + 2_000_000_000L;
        while (headerStatus.isEmpty() && trailerGrpcStatus == null && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        String status = headerStatus.orElse(trailerGrpcStatus);
        if (status == null) {
            throw new GrpcCallException("no grpc-status in the response headers or trailers");
        }
        if (!status.equals("0")) {
            throw new GrpcStatusException(status, trailerGrpcMessage == null ? "" : trailerGrpcMessage);
        }
        byte[] msg = singleGrpcMessage(resp.body());
        String name = namespaceNameFromResponse(msg);
        if (name == null) {
            throw new GrpcCallException("DescribeNamespaceResponse has no namespace_info.name");
        }
        if (!name.equals(namespace)) {
            throw new GrpcCallException("asked for namespace '" + namespace + "', got '" + name + "'");
        }
        return name;
    }

    /** An I/O failure whose text is already "<class>: <message>" plus a note. */
    static final class AnnotatedFailure extends IOException {
        private static final long serialVersionUID = 1L;

        AnnotatedFailure(String text, Throwable cause) {
            super(text, cause);
        }
    }

    static final class GrpcCallException extends Exception {
        private static final long serialVersionUID = 1L;

        GrpcCallException(String m) {
            super(m);
        }
    }

    static final class GrpcStatusException extends Exception {
        private static final long serialVersionUID = 1L;
        private static final String[] NAMES = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
            "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
            "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
            "DATA_LOSS", "UNAUTHENTICATED"};

        GrpcStatusException(String code, String rawMessage) {
            super("grpc-status " + code + " (" + codeName(code) + "): " + percentDecode(rawMessage));
        }

        private static String codeName(String code) {
            try {
                int c = Integer.parseInt(code);
                return c >= 0 && c < NAMES.length ? NAMES[c] : "?";
            } catch (NumberFormatException e) {
                return "?";
            }
        }
    }

    /** grpc-message is percent-encoded UTF-8. */
    static String percentDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()
                    && Character.digit(s.charAt(i + 1), 16) >= 0 && Character.digit(s.charAt(i + 2), 16) >= 0) {
                out.write(Character.digit(s.charAt(i + 1), 16) * 16 + Character.digit(s.charAt(i + 2), 16));
                i += 2;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------------------------------
    // gRPC framing and the two protobuf messages (hand-encoded: no generated code is available)

    /** DescribeNamespaceRequest { string namespace = 1; } */
    static byte[] encodeDescribeNamespaceRequest(String namespace) {
        byte[] s = namespace.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((1 << 3) | 2); // field 1, wire type 2 (length-delimited)
        writeVarint(out, s.length);
        out.write(s, 0, s.length);
        return out.toByteArray();
    }

    static void writeVarint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    /** One gRPC length-prefixed message: flag 0 (not compressed), 4-byte big-endian length. */
    static byte[] grpcFrame(byte[] message) {
        byte[] f = new byte[5 + message.length];
        int n = message.length;
        f[0] = 0;
        f[1] = (byte) (n >>> 24);
        f[2] = (byte) (n >>> 16);
        f[3] = (byte) (n >>> 8);
        f[4] = (byte) n;
        System.arraycopy(message, 0, f, 5, n);
        return f;
    }

    static byte[] singleGrpcMessage(byte[] body) throws GrpcCallException {
        if (body == null || body.length < 5) {
            throw new GrpcCallException("response body holds no gRPC message (" + (body == null ? 0 : body.length)
                    + " bytes)");
        }
        if (body[0] != 0) {
            throw new GrpcCallException("response message flag " + body[0] + " (compressed messages were not asked for)");
        }
        long n = ((body[1] & 0xFFL) << 24) | ((body[2] & 0xFFL) << 16) | ((body[3] & 0xFFL) << 8) | (body[4] & 0xFFL);
        if (n != body.length - 5) {
            throw new GrpcCallException("response frame says " + n + " bytes, body has " + (body.length - 5)
                    + " after the prefix (a unary call returns exactly one message)");
        }
        return Arrays.copyOfRange(body, 5, body.length);
    }

    /** DescribeNamespaceResponse { NamespaceInfo namespace_info = 1; } NamespaceInfo { string name = 1; } */
    static String namespaceNameFromResponse(byte[] msg) throws GrpcCallException {
        byte[] info = lastLengthDelimited(msg, 1);
        if (info == null) {
            return null;
        }
        byte[] name = lastLengthDelimited(info, 1);
        return name == null ? null : new String(name, StandardCharsets.UTF_8);
    }

    /** Walks a protobuf message and returns the last occurrence of a length-delimited field. */
    static byte[] lastLengthDelimited(byte[] m, int wantField) throws GrpcCallException {
        byte[] found = null;
        int[] pos = {0};
        while (pos[0] < m.length) {
            long tag = readVarint(m, pos);
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            if (field == 0) {
                throw new GrpcCallException("malformed protobuf: field number 0");
            }
            switch (wire) {
                case 0:
                    readVarint(m, pos);
                    break;
                case 1:
                    skip(m, pos, 8);
                    break;
                case 5:
                    skip(m, pos, 4);
                    break;
                case 2: {
                    long len = readVarint(m, pos);
                    if (len < 0 || len > m.length - pos[0]) {
                        throw new GrpcCallException("malformed protobuf: length " + len + " past the end");
                    }
                    if (field == wantField) {
                        found = Arrays.copyOfRange(m, pos[0], pos[0] + (int) len);
                    }
                    pos[0] += (int) len;
                    break;
                }
                default:
                    throw new GrpcCallException("malformed protobuf: wire type " + wire);
            }
        }
        return found;
    }

    static long readVarint(byte[] m, int[] pos) throws GrpcCallException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos[0] >= m.length) {
                throw new GrpcCallException("malformed protobuf: truncated varint");
            }
            int b = m[pos[0]++] & 0xFF;
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new GrpcCallException("malformed protobuf: varint too long");
    }

    static void skip(byte[] m, int[] pos, int n) throws GrpcCallException {
        if (m.length - pos[0] < n) {
            throw new GrpcCallException("malformed protobuf: truncated fixed-width field");
        }
        pos[0] += n;
    }

    // ------------------------------------------------------------------------------------------
    // Client identity

    static final class Identity {
        final PrivateKey key;
        final X509Certificate[] chain; // leaf first

        Identity(PrivateKey key, X509Certificate[] chain) throws GeneralSecurityException {
            if (chain.length == 0) {
                throw new GeneralSecurityException("no client certificate");
            }
            this.key = key;
            this.chain = chain;
            checkKeyMatchesLeaf();
        }

        /** Signs a random challenge with the key and verifies it with the leaf's public key. */
        private void checkKeyMatchesLeaf() throws GeneralSecurityException {
            String alg;
            switch (key.getAlgorithm()) {
                case "EC":
                    alg = "SHA256withECDSA";
                    break;
                case "RSA":
                    alg = "SHA256withRSA";
                    break;
                case "EdDSA":
                case "Ed25519":
                    alg = "Ed25519";
                    break;
                default:
                    return; // the TLS handshake will tell
            }
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(challenge);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            boolean ok;
            try {
                v.initVerify(chain[0].getPublicKey());
                v.update(challenge);
                ok = v.verify(sig);
            } catch (GeneralSecurityException e) {
                ok = false;
            }
            if (!ok) {
                throw new GeneralSecurityException("the private key does not belong to the first certificate ("
                        + chain[0].getSubjectX500Principal() + ")");
            }
        }

        static Identity fromPem(Path certFile, Path keyFile) throws IOException, GeneralSecurityException {
            X509Certificate[] chain = readCertificates(certFile);
            if (chain.length == 0) {
                throw new GeneralSecurityException("no CERTIFICATE in --cert " + certFile);
            }
            List<PemBlock> blocks = pemBlocks(Files.readString(keyFile, StandardCharsets.US_ASCII));
            PemBlock keyBlock = null;
            for (PemBlock b : blocks) {
                if (b.label.endsWith("PRIVATE KEY")) {
                    if (keyBlock != null) {
                        throw new GeneralSecurityException("more than one private key in --key " + keyFile);
                    }
                    keyBlock = b;
                }
            }
            if (keyBlock == null) {
                throw new GeneralSecurityException("no PRIVATE KEY block in --key " + keyFile);
            }
            if (!keyBlock.label.equals("PRIVATE KEY")) {
                throw new GeneralSecurityException("--key holds '" + keyBlock.label
                        + "'; an unencrypted PKCS#8 'PRIVATE KEY' is required (openssl pkcs8 -topk8 -nocrypt)");
            }
            return new Identity(pkcs8Key(keyBlock.der), chain);
        }

        static PrivateKey pkcs8Key(byte[] der) throws GeneralSecurityException {
            List<String> tried = new ArrayList<>();
            for (String alg : new String[] {"EC", "RSA", "Ed25519"}) {
                try {
                    return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
                } catch (GeneralSecurityException e) {
                    tried.add(alg);
                }
            }
            throw new GeneralSecurityException("PKCS#8 key is none of " + tried);
        }

        static Identity fromPkcs12(Path file, String pass) throws IOException, GeneralSecurityException {
            byte[] bytes = Files.readAllBytes(file);
            char[] pw = pass.toCharArray();
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = new java.io.ByteArrayInputStream(bytes)) {
                ks.load(in, pw); // checks the MAC with this password
            }
            List<String> keyAliases = new ArrayList<>();
            for (String a : Collections.list(ks.aliases())) {
                if (ks.isKeyEntry(a)) {
                    keyAliases.add(a);
                }
            }
            if (keyAliases.size() > 1) {
                throw new GeneralSecurityException("PKCS#12 file holds " + keyAliases.size() + " keys: " + keyAliases);
            }
            if (keyAliases.size() == 1) {
                String a = keyAliases.get(0);
                PrivateKey k = (PrivateKey) ks.getKey(a, pw);
                Certificate[] c = ks.getCertificateChain(a);
                if (c == null || c.length == 0) {
                    throw new GeneralSecurityException("PKCS#12 key entry '" + a + "' has no certificate");
                }
                X509Certificate[] x = new X509Certificate[c.length];
                for (int i = 0; i < c.length; i++) {
                    x[i] = (X509Certificate) c[i];
                }
                return new Identity(k, x);
            }
            return Pkcs12Plain.read(bytes);
        }
    }

    /**
     * Reads a PKCS#12 file's unencrypted keyBag and certBags (RFC 7292). Only the "data" content
     * infos of the AuthenticatedSafe are looked into; encrypted parts are the JDK's job above.
     */
    static final class Pkcs12Plain {
        static final String OID_DATA = "1.2.840.113549.1.7.1";
        static final String OID_KEY_BAG = "1.2.840.113549.1.12.10.1.1";
        static final String OID_CERT_BAG = "1.2.840.113549.1.12.10.1.3";
        static final String OID_X509_CERT = "1.2.840.113549.1.9.22.1";

        static Identity read(byte[] pfx) throws GeneralSecurityException {
            try {
                Der top = Der.parse(pfx, 0);
                List<Der> pfxSeq = top.children();
                byte[] authSafeBytes = dataContent(pfxSeq.get(1));
                if (authSafeBytes == null) {
                    throw new GeneralSecurityException("PKCS#12 authSafe is not plain data (public-key integrity mode?)");
                }
                byte[] keyDer = null;
                List<X509Certificate> certs = new ArrayList<>();
                CertificateFactory cf = CertificateFactory.getInstance("X.509");
                for (Der contentInfo : Der.parse(authSafeBytes, 0).children()) {
                    byte[] safeContents = dataContent(contentInfo);
                    if (safeContents == null) {
                        continue; // encrypted: had there been a key in it, the JDK would have found it
                    }
                    for (Der bag : Der.parse(safeContents, 0).children()) {
                        List<Der> parts = bag.children();
                        String bagId = parts.get(0).oid();
                        Der value = parts.get(1).children().get(0); // [0] EXPLICIT bagValue
                        if (OID_KEY_BAG.equals(bagId)) {
                            if (keyDer != null) {
                                throw new GeneralSecurityException("PKCS#12 file holds more than one key");
                            }
                            keyDer = value.encoded();
                        } else if (OID_CERT_BAG.equals(bagId)) {
                            List<Der> cb = value.children();
                            if (OID_X509_CERT.equals(cb.get(0).oid())) {
                                byte[] certDer = cb.get(1).children().get(0).content();
                                certs.add((X509Certificate) cf.generateCertificate(
                                        new java.io.ByteArrayInputStream(certDer)));
                            }
                        }
                    }
                }
                if (keyDer == null) {
                    throw new GeneralSecurityException("PKCS#12 file holds no private key");
                }
                PrivateKey key = Identity.pkcs8Key(keyDer);
                return new Identity(key, orderChain(key, certs));
            } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
                throw new GeneralSecurityException("malformed PKCS#12 file: " + e.getMessage(), e);
            }
        }

        /** ContentInfo { contentType, [0] EXPLICIT content }: the OCTET STRING of a "data" one, else null. */
        private static byte[] dataContent(Der contentInfo) {
            List<Der> ci = contentInfo.children();
            if (!OID_DATA.equals(ci.get(0).oid())) {
                return null;
            }
            return ci.get(1).children().get(0).octets();
        }

        /** Leaf = the certificate the key signs for; then each issuer found among the rest. */
        private static X509Certificate[] orderChain(PrivateKey key, List<X509Certificate> certs)
                throws GeneralSecurityException {
            X509Certificate leaf = null;
            for (X509Certificate c : certs) {
                try {
                    new Identity(key, new X509Certificate[] {c});
                    leaf = c;
                    break;
                } catch (GeneralSecurityException notThisOne) {
                    // try the next certificate
                }
            }
            if (leaf == null) {
                throw new GeneralSecurityException("no certificate in the PKCS#12 file matches its key");
            }
            List<X509Certificate> chain = new ArrayList<>(List.of(leaf));
            List<X509Certificate> rest = new ArrayList<>(certs);
            rest.remove(leaf);
            X509Certificate cur = leaf;
            while (!cur.getIssuerX500Principal().equals(cur.getSubjectX500Principal())) {
                X509Certificate next = null;
                for (X509Certificate c : rest) {
                    if (c.getSubjectX500Principal().equals(cur.getIssuerX500Principal())) {
                        next = c;
                        break;
                    }
                }
                if (next == null) {
                    break;
                }
                chain.add(next);
                rest.remove(next);
                cur = next;
            }
            return chain.toArray(new X509Certificate[0]);
        }
    }

    /** Just enough DER (definite lengths, single-byte tags) to walk PKCS#12 containers. */
    static final class Der {
        final byte[] buf;
        final int start;      // tag offset
        final int tag;
        final int valueStart;
        final int valueEnd;

        private Der(byte[] buf, int start, int tag, int valueStart, int valueEnd) {
            this.buf = buf;
            this.start = start;
            this.tag = tag;
            this.valueStart = valueStart;
            this.valueEnd = valueEnd;
        }

        static Der parse(byte[] b, int at) {
            if (at + 2 > b.length) {
                throw new IllegalArgumentException("DER truncated at " + at);
            }
            int tag = b[at] & 0xFF;
            if ((tag & 0x1F) == 0x1F) {
                throw new IllegalArgumentException("multi-byte DER tag at " + at);
            }
            int p = at + 1;
            int first = b[p++] & 0xFF;
            long len;
            if (first < 0x80) {
                len = first;
            } else {
                int n = first & 0x7F;
                if (n == 0 || n > 4) {
                    throw new IllegalArgumentException("unsupported DER length form at " + at);
                }
                len = 0;
                for (int i = 0; i < n; i++) {
                    if (p >= b.length) {
                        throw new IllegalArgumentException("DER truncated at " + p);
                    }
                    len = (len << 8) | (b[p++] & 0xFF);
                }
            }
            if (len > b.length - p) {
                throw new IllegalArgumentException("DER length past the end at " + at);
            }
            return new Der(b, at, tag, p, p + (int) len);
        }

        List<Der> children() {
            if ((tag & 0x20) == 0) {
                throw new IllegalArgumentException("DER tag 0x" + Integer.toHexString(tag) + " is not constructed");
            }
            List<Der> out = new ArrayList<>();
            int p = valueStart;
            while (p < valueEnd) {
                Der d = parse(buf, p);
                if (d.valueEnd > valueEnd) {
                    throw new IllegalArgumentException("DER child overruns its parent");
                }
                out.add(d);
                p = d.valueEnd;
            }
            return out;
        }

        byte[] content() {
            return Arrays.copyOfRange(buf, valueStart, valueEnd);
        }

        byte[] encoded() {
            return Arrays.copyOfRange(buf, start, valueEnd);
        }

        byte[] octets() {
            if (tag != 0x04) {
                throw new IllegalArgumentException("expected OCTET STRING, got tag 0x" + Integer.toHexString(tag));
            }
            return content();
        }

        String oid() {
            if (tag != 0x06 || valueEnd == valueStart) {
                throw new IllegalArgumentException("expected OBJECT IDENTIFIER, got tag 0x" + Integer.toHexString(tag));
            }
            StringBuilder sb = new StringBuilder();
            long v = 0;
            boolean firstArc = true;
            for (int i = valueStart; i < valueEnd; i++) {
                int b = buf[i] & 0xFF;
                v = (v << 7) | (b & 0x7F);
                if ((b & 0x80) == 0) {
                    if (firstArc) {
                        long a = Math.min(v / 40, 2);
                        sb.append(a).append('.').append(v - a * 40);
                        firstArc = false;
                    } else {
                        sb.append('.').append(v);
                    }
                    v = 0;
                }
            }
            return sb.toString();
        }
    }

    /** Always offers the one configured identity when its key type is among those requested. */
    static final class FixedIdentityKeyManager extends X509ExtendedKeyManager {
        private static final String ALIAS = "client";
        private final Identity id;

        FixedIdentityKeyManager(Identity id) {
            this.id = id;
        }

        private boolean fits(String keyType) {
            String alg = id.key.getAlgorithm();
            return keyType.equalsIgnoreCase(alg)
                    || ("RSA".equals(alg) && keyType.equalsIgnoreCase("RSASSA-PSS"))
                    || (("EdDSA".equals(alg) || "Ed25519".equals(alg))
                        && (keyType.equalsIgnoreCase("EdDSA") || keyType.equalsIgnoreCase("Ed25519")));
        }

        private String choose(String[] keyTypes) {
            if (keyTypes != null) {
                for (String t : keyTypes) {
                    if (t != null && fits(t)) {
                        return ALIAS;
                    }
                }
            }
            return null;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return fits(keyType) ? new String[] {ALIAS} : null;
        }

        @Override
        public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
            return choose(keyTypes);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
            return choose(keyTypes);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? id.chain.clone() : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? id.key : null;
        }
    }

    // ------------------------------------------------------------------------------------------
    // PEM

    static final class PemBlock {
        final String label;
        final byte[] der;

        PemBlock(String label, byte[] der) {
            this.label = label;
            this.der = der;
        }
    }

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*(.*?)-----END \\1-----", Pattern.DOTALL);

    static List<PemBlock> pemBlocks(String text) {
        List<PemBlock> out = new ArrayList<>();
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            String body = m.group(2);
            if (body.contains(":")) {
                // RFC 1421 headers such as "Proc-Type: 4,ENCRYPTED" (legacy encrypted keys)
                out.add(new PemBlock(m.group(1) + " (with PEM headers)", new byte[0]));
                continue;
            }
            out.add(new PemBlock(m.group(1), Base64.getDecoder().decode(body.replaceAll("\\s+", ""))));
        }
        return out;
    }

    static X509Certificate[] readCertificates(Path file) throws IOException, GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<X509Certificate> out = new ArrayList<>();
        for (PemBlock b : pemBlocks(Files.readString(file, StandardCharsets.US_ASCII))) {
            if (b.label.equals("CERTIFICATE")) {
                out.add((X509Certificate) cf.generateCertificate(new java.io.ByteArrayInputStream(b.der)));
            }
        }
        return out.toArray(new X509Certificate[0]);
    }

    // ------------------------------------------------------------------------------------------
    // Output

    /**
     * "<class>: <message>" of the most telling exception: the outermost one that has a message
     * (HttpClient re-wraps handshake failures with the same class and text). When none has one
     * (a refused TCP connect is a bare ConnectException around a ClosedChannelException), the
     * outermost class is given with the classes of its causes.
     */
    static String describe(Throwable t) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable c = t; c != null && chain.size() < 20 && !chain.contains(c); c = c.getCause()) {
            chain.add(c);
        }
        if (t instanceof AnnotatedFailure) {
            return t.getMessage();
        }
        for (Throwable c : chain) {
            if (c.getMessage() != null && !c.getMessage().isEmpty()) {
                return className(c) + ": " + c.getMessage();
            }
        }
        StringBuilder sb = new StringBuilder(className(t)).append(": (no message");
        for (int i = 1; i < chain.size(); i++) {
            sb.append(i == 1 ? "; caused by " : " <- ").append(className(chain.get(i)));
        }
        return sb.append(')').toString();
    }

    private static String className(Throwable t) {
        Class<?> c = t.getClass();
        return c.getEnclosingClass() == JavaTlsClient.class ? c.getSimpleName() : c.getName();
    }

    static String json(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                default:
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        return sb.append('"').toString();
    }
}
