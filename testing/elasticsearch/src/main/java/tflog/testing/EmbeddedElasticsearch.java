package tflog.testing;

import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.node.ClasspathPluginNode;
import org.elasticsearch.node.Node;
import org.elasticsearch.rest.RestController;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts a real single-node Elasticsearch server (server jar + Netty HTTP plugin)
 * for integration tests, and keeps it running until SIGTERM/SIGINT.
 *
 * Usage: EmbeddedElasticsearch [PORT] [DIR]
 *   PORT  HTTP port (env TFLOG_ES_PORT, default 9200; 0 picks a free one)
 *   DIR   path.home; indices go to DIR/data (env TFLOG_ES_DIR, default ./es-data)
 *
 * Prints "ELASTICSEARCH READY http://127.0.0.1:PORT" once HTTP answers and all
 * primaries are started. Any failure prints "ELASTICSEARCH FAILED: ..." and exits 1.
 */
public final class EmbeddedElasticsearch {
    // LogConfigurator redirects System.out/err into log4j; status lines use the raw streams
    // so that scripts can match them at the start of a line.
    private static final PrintStream OUT = System.out;
    private static final PrintStream ERR = System.err;

    private EmbeddedElasticsearch() {
    }

    public static void main(String[] args) {
        // The official launcher passes these as JVM options; they must be set before
        // log4j and netty initialise. log4j's own shutdown hook would stop logging while
        // ours is still closing the node; netty is kept off sun.misc.Unsafe, as in ES.
        defaultProperty("log4j.shutdownHookEnabled", "false");
        defaultProperty("log4j2.disable.jmx", "true");
        defaultProperty("log4j2.formatMsgNoLookups", "true");
        defaultProperty("io.netty.noUnsafe", "true");
        defaultProperty("io.netty.noKeySetOptimization", "true");
        defaultProperty("io.netty.recycler.maxCapacityPerThread", "0");
        try {
            int port = Integer.parseInt(arg(args, 0, "TFLOG_ES_PORT", "9200"));
            Path home = Path.of(arg(args, 1, "TFLOG_ES_DIR", "es-data")).toAbsolutePath().normalize();
            run(port, home);
        } catch (Throwable e) {
            ERR.println("ELASTICSEARCH FAILED: " + e);
            e.printStackTrace(ERR);
            ERR.flush();
            // halt, not exit: Node threads or hooks must not keep a failed start alive
            Runtime.getRuntime().halt(1);
        }
    }

    private static void run(int port, Path home) throws Exception {
        long started = System.nanoTime();
        // set by the ES launcher; native-library lookup (home/lib/platform) needs it
        defaultProperty("es.path.home", home.toString());
        Files.createDirectories(home.resolve("config"));
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));

        Settings settings = Settings.builder()
            .put("cluster.name", "tflog-test")
            .put("node.name", "tflog-test")
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", port)
            // node-to-node transport is unused here; an ephemeral port avoids clashing with a real ES on 9300
            .put("transport.port", 0)
            .put("discovery.type", "single-node")
            // fewer threads and buffers on small CI machines
            .put("node.processors", Math.min(2, Runtime.getRuntime().availableProcessors()))
            // the real-memory breaker trips easily with a small heap; count only what ES tracks
            .put("indices.breaker.total.use_real_memory", false)
            // a nearly full CI disk must not turn test indices read-only
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .build();

        // What the ES launcher does before building a Node: log4j configured from
        // config/log4j2.properties (ours, refreshed on every start).
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName("tflog-test");
        LogConfigurator.setClusterName("tflog-test");
        try (InputStream in = EmbeddedElasticsearch.class.getResourceAsStream("log4j2.properties")) {
            Files.copy(in, home.resolve("config/log4j2.properties"), StandardCopyOption.REPLACE_EXISTING);
        }
        LogConfigurator.configure(new Environment(settings, null), true);

        // Netty4Plugin provides both the HTTP server and the transport layer.
        Node node = new ClasspathPluginNode(settings, List.of(Netty4Plugin.class));
        node.injector().getInstance(RestController.class)
            .registerHandler(new RootHandler(node.injector().getInstance(ClusterService.class)));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                OUT.println("ELASTICSEARCH STOPPING");
                node.close();
                if (!node.awaitClose(30, TimeUnit.SECONDS)) {
                    ERR.println("ELASTICSEARCH node did not close within 30s");
                }
                OUT.println("ELASTICSEARCH STOPPED");
            } catch (Exception e) {
                ERR.println("ELASTICSEARCH stop failed: " + e);
            } finally {
                stopped.countDown();
            }
        }, "es-shutdown"));

        node.start();
        int boundPort = node.injector().getInstance(HttpServerTransport.class)
            .boundAddress().publishAddress().getPort();
        String url = "http://127.0.0.1:" + boundPort;
        awaitHealthy(url);
        OUT.printf("ELASTICSEARCH READY %s (started in %d ms, pid %d)%n",
            url, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), ProcessHandle.current().pid());
        OUT.flush();

        // ES threads are daemons: this keeps the JVM alive until the shutdown hook ran.
        stopped.await();
    }

    /**
     * Checks over real HTTP what tests will see: the REST layer answers, sets the
     * product header the official clients insist on, and every primary shard of
     * indices left from a previous run is recovered (status yellow or green).
     */
    private static void awaitHealthy(String url) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/_cluster/health?wait_for_status=yellow&timeout=90s"))
            .timeout(Duration.ofSeconds(100)).build();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("cluster health returned HTTP " + response.statusCode() + ": " + response.body());
        }
        String product = response.headers().firstValue("X-Elastic-Product").orElse(null);
        if (!"Elasticsearch".equals(product)) {
            throw new IllegalStateException("response lacks header X-Elastic-Product: Elasticsearch (got " + product + ")");
        }
    }

    private static void defaultProperty(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }

    private static String arg(String[] args, int index, String env, String fallback) {
        if (args.length > index && !args[index].isBlank()) return args[index];
        String value = System.getenv(env);
        return value == null || value.isBlank() ? fallback : value;
    }
}
