/*
 * The Java SDK (io.temporal:temporal-sdk: grpc-java over its shaded netty) doing real work over mutual TLS.
 *
 *   java -jar "$(scripts/java-client.sh)" --address HOST:PORT --namespace NS --server-name NAME --ca ROOTS.pem
 *        --task-queue Q [--timeout SECONDS] (--cert CHAIN.pem --key KEY.pkcs8.pem | --pfx FILE --pfx-pass PASS)
 *
 * The SslContext is built by the SDK's SimpleSslContextBuilder from exactly these files (forPKCS8 or forPKCS12),
 * trusting only the --ca certificates; the channel's authority is --server-name, so SNI, the certificate's host check
 * and :authority all use it while the socket goes to --address. It starts a worker on the task queue, runs one
 * workflow that calls one activity, and prints one JSON line:
 * {"ok": true, "client": "java", "form": "pkcs8"|"pfx", "workflow_id": ..., "result": ...} (exit 0) or
 * {"ok": false, "client": "java", "error": ...} (exit 1). The whole run is bounded by --timeout (default 60).
 */
package mtls.temporal.harness;

import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.SimpleSslContextBuilder;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

public final class SdkWorker {

  @ActivityInterface
  public interface Greet {
    String greet(String name);
  }

  public static final class GreetImpl implements Greet {
    @Override
    public String greet(String name) {
      return "hello " + name + " from java";
    }
  }

  @WorkflowInterface
  public interface Greeting {
    @WorkflowMethod
    String run(String name);
  }

  public static final class GreetingImpl implements Greeting {
    private final Greet greet =
        Workflow.newActivityStub(
            Greet.class,
            ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(30)).build());

    @Override
    public String run(String name) {
      return greet.greet(name);
    }
  }

  private static final Set<String> OPTIONS =
      Set.of(
          "--address", "--namespace", "--server-name", "--ca", "--task-queue", "--timeout",
          "--cert", "--key", "--pfx", "--pfx-pass");

  private record Args(
      String address, String namespace, String serverName, Path ca, String taskQueue, Duration timeout,
      Path cert, Path key, Path pfx, String pfxPass) {

    static Args parse(String[] argv) {
      Map<String, String> given = new LinkedHashMap<>();
      for (int i = 0; i < argv.length; i += 2) {
        if (!OPTIONS.contains(argv[i])) {
          throw new IllegalArgumentException("unknown argument " + argv[i]);
        }
        if (i + 1 == argv.length) {
          throw new IllegalArgumentException(argv[i] + " needs a value");
        }
        given.put(argv[i], argv[i + 1]);
      }
      for (String name : new String[] {"--address", "--namespace", "--server-name", "--ca", "--task-queue"}) {
        if (!given.containsKey(name)) {
          throw new IllegalArgumentException(name + " is required");
        }
      }
      boolean pem = given.containsKey("--cert") && given.containsKey("--key");
      // --pfx-pass is asked for even when empty: the JDK checks the file's MAC with "" but skips the check with none.
      boolean pfx = given.containsKey("--pfx") && given.containsKey("--pfx-pass");
      boolean anyPem = given.containsKey("--cert") || given.containsKey("--key");
      boolean anyPfx = given.containsKey("--pfx") || given.containsKey("--pfx-pass");
      if (!(pem && !anyPfx) && !(pfx && !anyPem)) {
        throw new IllegalArgumentException("give either --cert and --key, or --pfx and --pfx-pass");
      }
      double seconds = Double.parseDouble(given.getOrDefault("--timeout", "60"));
      if (!(seconds > 0)) {
        throw new IllegalArgumentException("--timeout must be a positive number of seconds");
      }
      return new Args(
          given.get("--address"), given.get("--namespace"), given.get("--server-name"),
          Path.of(given.get("--ca")), given.get("--task-queue"), Duration.ofMillis((long) (seconds * 1000)),
          pem ? Path.of(given.get("--cert")) : null, pem ? Path.of(given.get("--key")) : null,
          pfx ? Path.of(given.get("--pfx")) : null, given.get("--pfx-pass"));
    }

    String form() {
      return pfx != null ? "pfx" : "pkcs8";
    }
  }

  /** Trusts the --ca certificates and nothing else: the JDK's default roots must not vouch for a test server. */
  private static TrustManager trustOnly(Path ca) throws Exception {
    KeyStore roots = KeyStore.getInstance("PKCS12");
    roots.load(null, null);
    try (InputStream in = Files.newInputStream(ca)) {
      for (Certificate root : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        roots.setCertificateEntry("root-" + roots.size(), root);
      }
    }
    if (roots.size() == 0) {
      throw new IllegalArgumentException(ca + " holds no certificate");
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(roots);
    return factory.getTrustManagers()[0];
  }

  /**
   * forPKCS12 hands the JDK's KeyStore to the key manager as it loaded it: a file the JDK reads no key from would
   * only show up as the server refusing an empty client certificate, so that case is named here instead.
   */
  private static void requireKeyEntry(Path pfx, String pass) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(pfx)) {
      store.load(in, pass.toCharArray());
    }
    for (String alias : Collections.list(store.aliases())) {
      if (store.isKeyEntry(alias)) {
        return;
      }
    }
    throw new IllegalArgumentException(
        "the JDK's PKCS12 KeyStore reads " + store.size() + " entries and no private key entry from " + pfx
            + " (Java " + System.getProperty("java.version") + ")");
  }

  private static SslContext sslContext(Args args) throws Exception {
    TrustManager trust = trustOnly(args.ca());
    if (args.pfx() != null) {
      requireKeyEntry(args.pfx(), args.pfxPass());
      try (InputStream pfx = Files.newInputStream(args.pfx())) {
        return SimpleSslContextBuilder.forPKCS12(pfx).setKeyPassword(args.pfxPass()).setTrustManager(trust).build();
      }
    }
    try (InputStream cert = Files.newInputStream(args.cert()); InputStream key = Files.newInputStream(args.key())) {
      return SimpleSslContextBuilder.forPKCS8(cert, key).setTrustManager(trust).build();
    }
  }

  /** What the run was doing, for the error when the deadline cuts it short. */
  private static volatile String stage = "building the TLS context";

  private static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(deadline - System.nanoTime(), 0));
  }

  private static Map<String, Object> work(Args args, long deadline) throws Exception {
    WorkflowServiceStubsOptions options =
        WorkflowServiceStubsOptions.newBuilder()
            .setTarget(args.address())
            .setSslContext(sslContext(args))
            // The certificate names the service, not the address dialled: grpc takes SNI and the host check from it.
            .setChannelInitializer(channel -> channel.overrideAuthority(args.serverName()))
            .build();
    stage = "connecting to " + args.address() + " as " + args.serverName();
    // The connection's own failure names the cause (refused, handshake, certificate); four fifths of the budget
    // lets it arrive before the run's deadline, which can only say that time ran out.
    WorkflowServiceStubs service =
        WorkflowServiceStubs.newConnectedServiceStubs(options, remaining(deadline).multipliedBy(4).dividedBy(5));
    try {
      WorkflowClient client =
          WorkflowClient.newInstance(service, WorkflowClientOptions.newBuilder().setNamespace(args.namespace()).build());
      WorkerFactory factory = WorkerFactory.newInstance(client);
      Worker worker = factory.newWorker(args.taskQueue());
      worker.registerWorkflowImplementationTypes(GreetingImpl.class);
      worker.registerActivitiesImplementations(new GreetImpl());
      Instant now = Instant.now();
      String workflowId = args.taskQueue() + "-" + (now.getEpochSecond() * 1_000_000_000L + now.getNano());
      String result;
      stage = "starting the worker on " + args.taskQueue();
      factory.start();
      try {
        Greeting greeting =
            client.newWorkflowStub(
                Greeting.class,
                WorkflowOptions.newBuilder()
                    .setWorkflowId(workflowId)
                    .setTaskQueue(args.taskQueue())
                    .setWorkflowExecutionTimeout(args.timeout())
                    .build());
        stage = "running workflow " + workflowId;
        result = greeting.run(args.taskQueue());
      } finally {
        stage = "shutting the worker down";
        factory.shutdown();
        factory.awaitTermination(remaining(deadline).toMillis(), TimeUnit.MILLISECONDS);
      }
      String expected = "hello " + args.taskQueue() + " from java";
      if (!expected.equals(result)) {
        throw new IllegalStateException("the workflow returned \"" + result + "\", not \"" + expected + "\"");
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("ok", true);
      out.put("client", "java");
      out.put("form", args.form());
      out.put("workflow_id", workflowId);
      out.put("result", result);
      return out;
    } finally {
      service.shutdownNow();
    }
  }

  /** The whole cause chain: the SDK wraps the TLS or server verdict that explains a failure several levels down. */
  private static String describe(Throwable error) {
    StringBuilder text = new StringBuilder();
    for (Throwable e = error; e != null && text.length() < 2000; e = e.getCause() == e ? null : e.getCause()) {
      if (text.length() > 0) {
        text.append("; caused by ");
      }
      text.append(e.getClass().getSimpleName()).append(": ").append(e.getMessage());
    }
    return text.length() > 2000 ? text.substring(0, 2000) : text.toString();
  }

  /** JSON as Python's json.dumps writes it (", " and ": ", ASCII only), so every client's line reads alike. */
  private static String json(Map<String, Object> fields) {
    StringBuilder line = new StringBuilder("{");
    for (Map.Entry<String, Object> field : fields.entrySet()) {
      if (line.length() > 1) {
        line.append(", ");
      }
      quote(line, field.getKey()).append(": ");
      if (field.getValue() instanceof Boolean) {
        line.append(field.getValue());
      } else {
        quote(line, String.valueOf(field.getValue()));
      }
    }
    return line.append('}').toString();
  }

  private static StringBuilder quote(StringBuilder line, String text) {
    line.append('"');
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') {
        line.append('\\').append(c);
      } else if (c == '\n') {
        line.append("\\n");
      } else if (c < 0x20 || c > 0x7e) {
        line.append(String.format("\\u%04x", (int) c));
      } else {
        line.append(c);
      }
    }
    return line.append('"');
  }

  public static void main(String[] argv) {
    Map<String, Object> out;
    ExecutorService runner =
        Executors.newSingleThreadExecutor(
            task -> {
              Thread thread = new Thread(task, "sdk-worker-run");
              thread.setDaemon(true);
              return thread;
            });
    Duration timeout = null;
    try {
      Args args = Args.parse(argv);
      timeout = args.timeout();
      long deadline = System.nanoTime() + timeout.toNanos();
      Future<Map<String, Object>> run = runner.submit(() -> work(args, deadline));
      out = run.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (Throwable error) { // the one line must be printed whatever failed
      Throwable cause = error instanceof ExecutionException && error.getCause() != null ? error.getCause() : error;
      String text =
          cause instanceof TimeoutException
              ? "TimeoutException: no result within " + timeout.toMillis() / 1000.0 + " s (" + stage + ")"
              : describe(cause);
      out = new LinkedHashMap<>();
      out.put("ok", false);
      out.put("client", "java");
      out.put("error", text);
    }
    System.out.println(json(out));
    System.out.flush();
    // The SDK's pollers and channels may still be winding down: the printed line is the result.
    Runtime.getRuntime().halt(Boolean.TRUE.equals(out.get("ok")) ? 0 : 1);
  }
}
