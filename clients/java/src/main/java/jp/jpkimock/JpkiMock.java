package jp.jpkimock;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A jpki-mock server for a test: {@link #start()} runs {@code jpki-mock serve --ephemeral
 * --listen 127.0.0.1:0} (an in-memory state, fresh CA keys, a free port) and waits for
 * its ready line; the methods drive its admin API; {@link #close()} stops it.
 *
 * <pre>{@code
 * try (JpkiMock mock = JpkiMock.start()) {
 *     Card card = mock.issue(Map.of("name", "山田 太郎", "birth", "1990-10-01",
 *         "gender", "male", "address", "東京都品川区広町2-1-36"));
 *     X509Certificate cert = card.certificate("sign");   // its AIA points at mock.baseUrl()
 *     mock.revoke(card.cardId(), "lost");
 * }
 * }</pre>
 *
 * <p>The binary is {@link Options#binary(Path)} if given, else the environment variable
 * {@code JPKI_MOCK_BIN}, else {@code jpki-mock} on {@code PATH}. The server gets no
 * {@code JPKI_MOCK_*} variable of the caller's except {@code JPKI_MOCK_LOG} (default
 * {@code warn}); {@link Options} sets the others. Every admin API error throws
 * {@link JpkiMockException}. The methods are safe to call from several threads.
 *
 * <p>{@link #createTenant()} makes a tenant of the server: a whole mock of its own (CAs,
 * cards, clock, faults, request log) under {@code /t/{tenant}}, driven by another
 * {@code JpkiMock} whose {@link #close()} deletes it.
 */
public final class JpkiMock implements AutoCloseable {
    /** How {@link #start(Options)} runs the server. Every setter returns {@code this}. */
    public static final class Options {
        private Path binary;
        private Path config;
        private String seed;
        private String adminToken;
        private String logLevel;
        private boolean inheritStderr;
        private Duration startTimeout = Duration.ofSeconds(30);
        private Duration requestTimeout = Duration.ofSeconds(60);
        private final Map<String, String> env = new LinkedHashMap<>();

        /** The jpki-mock executable (default: JPKI_MOCK_BIN, then PATH). */
        public Options binary(Path binary) {
            this.binary = binary;
            return this;
        }

        /** A configuration file laid over the built-in one ({@code JPKI_MOCK_CONFIG}). */
        public Options config(Path config) {
            this.config = config;
            return this;
        }

        /** TEST ONLY: derive every key from this seed ({@code JPKI_MOCK_SEED}). */
        public Options seed(String seed) {
            this.seed = seed;
            return this;
        }

        /** Require this admin token; the client sends it ({@code JPKI_MOCK_ADMIN_TOKEN}). */
        public Options adminToken(String adminToken) {
            this.adminToken = adminToken;
            return this;
        }

        /** The server's log filter, {@code JPKI_MOCK_LOG} (default: the caller's, else {@code warn}). */
        public Options logLevel(String logLevel) {
            this.logLevel = logLevel;
            return this;
        }

        /** Let the server's log (stderr) through to this process's stderr instead of keeping its tail. */
        public Options inheritStderr(boolean inheritStderr) {
            this.inheritStderr = inheritStderr;
            return this;
        }

        /** How long to wait for the ready line (default 30 s). */
        public Options startTimeout(Duration startTimeout) {
            this.startTimeout = Objects.requireNonNull(startTimeout);
            return this;
        }

        /** The limit of each admin API request (default 60 s). */
        public Options requestTimeout(Duration requestTimeout) {
            this.requestTimeout = Objects.requireNonNull(requestTimeout);
            return this;
        }

        /** One more environment variable for the server. */
        public Options env(String name, String value) {
            env.put(Objects.requireNonNull(name), Objects.requireNonNull(value));
            return this;
        }
    }

    private static final String JSON = "application/json";
    private static final int STDERR_TAIL_LINES = 40;

    private final Process process; // null for a tenant
    private final String baseUrl;
    private final String adminToken;
    private final Duration requestTimeout;
    private final HttpClient http;
    private final Deque<String> stderrTail;
    private final Thread shutdownHook; // null for a tenant
    private final String serverUrl; // the server's own URL: baseUrl, or the one a tenant lives under
    private final String tenant; // the tenant's name, or null
    private volatile boolean closed;

    private JpkiMock(Process process, String baseUrl, Options options, Deque<String> stderrTail) {
        this.process = process;
        this.baseUrl = baseUrl;
        this.adminToken = options.adminToken;
        this.requestTimeout = options.requestTimeout;
        this.stderrTail = stderrTail;
        this.http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
        this.shutdownHook = new Thread(this::stop, "jpki-mock-shutdown " + baseUrl);
        this.serverUrl = baseUrl;
        this.tenant = null;
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** A tenant of {@code server}'s server, from the answer to {@code POST /api/v1/tenants}. */
    private JpkiMock(JpkiMock server, String tenant, String baseUrl, String adminToken) {
        this.process = null;
        this.baseUrl = baseUrl;
        this.adminToken = adminToken;
        this.requestTimeout = server.requestTimeout;
        this.stderrTail = new ArrayDeque<>();
        this.http = server.http;
        this.shutdownHook = null; // one never closed is left to its time to live
        this.serverUrl = server.serverUrl;
        this.tenant = tenant;
    }

    /** Starts a server with the default {@link Options}. */
    public static JpkiMock start() {
        return start(new Options());
    }

    /** Starts a server and waits until it is ready to serve. */
    public static JpkiMock start(Options options) {
        Path binary = options.binary != null ? options.binary : findBinary();
        List<String> command = Arrays.asList(
            binary.toString(), "serve", "--ephemeral", "--listen", "127.0.0.1:0");
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        String log = options.logLevel != null ? options.logLevel : env.getOrDefault("JPKI_MOCK_LOG", "warn");
        env.keySet().removeIf(name -> name.startsWith("JPKI_MOCK_"));
        env.put("JPKI_MOCK_LOG", log);
        if (options.config != null) {
            env.put("JPKI_MOCK_CONFIG", options.config.toAbsolutePath().toString());
        }
        if (options.seed != null) {
            env.put("JPKI_MOCK_SEED", options.seed);
        }
        if (options.adminToken != null) {
            env.put("JPKI_MOCK_ADMIN_TOKEN", options.adminToken);
        }
        env.putAll(options.env);
        builder.redirectInput(ProcessBuilder.Redirect.PIPE);
        if (options.inheritStderr) {
            builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        }

        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new JpkiMockException(0, "start_failed", "cannot run " + binary + ": " + e.getMessage(), null, e);
        }
        try {
            process.getOutputStream().close(); // no input
        } catch (IOException e) {
            // nothing to do: the server reads no input
        }

        Deque<String> tail = new ArrayDeque<>();
        Thread stderr = null;
        if (!options.inheritStderr) {
            stderr = drain(process.getErrorStream(), "jpki-mock-stderr", line -> {
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > STDERR_TAIL_LINES) {
                        tail.removeFirst();
                    }
                }
            });
        }
        BlockingQueue<Object> stdout = new LinkedBlockingQueue<>();
        Object end = new Object();
        Thread reader = drain(process.getInputStream(), "jpki-mock-stdout", stdout::add);
        Thread endMarker = new Thread(() -> {
            try {
                reader.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stdout.add(end);
        }, "jpki-mock-stdout-end");
        endMarker.setDaemon(true);
        endMarker.start();

        long deadline = System.nanoTime() + options.startTimeout.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                Object item = left > 0 ? stdout.poll(left, TimeUnit.NANOSECONDS) : null;
                if (item == null) {
                    kill(process);
                    join(stderr);
                    throw startFailed("no ready line within " + options.startTimeout.toMillis() + " ms", binary, tail);
                }
                if (item == end) {
                    String exit = process.waitFor(5, TimeUnit.SECONDS) ? "exited with status " + process.exitValue()
                                                                        : "closed its stdout";
                    kill(process);
                    join(stderr);
                    throw startFailed(exit + " before it was ready", binary, tail);
                }
                String line = ((String) item).trim();
                if (!line.startsWith("{")) {
                    continue; // the human banner
                }
                Object ready;
                try {
                    ready = Json.parse(line);
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (ready instanceof Map && "ready".equals(((Map<?, ?>) ready).get("jpki_mock"))) {
                    Object url = ((Map<?, ?>) ready).get("base_url");
                    if (!(url instanceof String)) {
                        kill(process);
                        throw startFailed("a ready line without base_url: " + line, binary, tail);
                    }
                    String base = (String) url;
                    while (base.endsWith("/")) {
                        base = base.substring(0, base.length() - 1);
                    }
                    return new JpkiMock(process, base, options, tail);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(process);
            throw new JpkiMockException(0, "start_failed", "interrupted while waiting for jpki-mock", null, e);
        }
    }

    /** The binary: JPKI_MOCK_BIN, else jpki-mock on PATH. */
    static Path findBinary() {
        String fromEnv = System.getenv("JPKI_MOCK_BIN");
        if (fromEnv != null && !fromEnv.isEmpty()) {
            Path path = Paths.get(fromEnv).toAbsolutePath();
            if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
                throw new JpkiMockException(0, "binary_not_found",
                    "JPKI_MOCK_BIN=" + fromEnv + " is not an executable file (build it with `cargo build --release`: "
                        + "target/release/jpki-mock)");
            }
            return path;
        }
        String name = System.getProperty("os.name", "").startsWith("Windows") ? "jpki-mock.exe" : "jpki-mock";
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path candidate = Paths.get(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate.toAbsolutePath();
                }
            }
        }
        throw new JpkiMockException(0, "binary_not_found",
            "no jpki-mock: set JPKI_MOCK_BIN to the binary (e.g. target/release/jpki-mock) or put it on PATH");
    }

    private static Thread drain(InputStream in, String name, java.util.function.Consumer<String> sink) {
        Thread thread = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    sink.accept(line);
                }
            } catch (IOException e) {
                // the process is gone
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Waits a little for a drain thread to read what is left (the process is gone). */
    private static void join(Thread drain) throws InterruptedException {
        if (drain != null) {
            drain.join(2000);
        }
    }

    private static JpkiMockException startFailed(String what, Path binary, Deque<String> tail) {
        StringBuilder message = new StringBuilder("jpki-mock (" + binary + ") " + what);
        synchronized (tail) {
            if (!tail.isEmpty()) {
                message.append("; its stderr ended with:");
                for (String line : tail) {
                    message.append("\n  ").append(line);
                }
            }
        }
        return new JpkiMockException(0, "start_failed", message.toString());
    }

    private static void kill(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    // ---- the server ----

    /**
     * The server's base URL, e.g. {@code http://127.0.0.1:43133} (no trailing slash); the
     * certificates' AIA and CRL URLs start with it.
     */
    public String baseUrl() {
        return baseUrl;
    }

    /** Whether the server process is still running; for a tenant, whether it was not closed. */
    public boolean isRunning() {
        return !closed && (process == null || process.isAlive());
    }

    /**
     * The last lines the server wrote on stderr (its log), unless {@link Options#inheritStderr} was set;
     * empty for a tenant.
     */
    public List<String> stderrTail() {
        synchronized (stderrTail) {
            return new ArrayList<>(stderrTail);
        }
    }

    /**
     * Stops the server (SIGTERM, then a kill after 5 s); for a tenant, deletes it
     * ({@code DELETE /api/v1/tenants/{tenant}}; a tenant already gone is not an error).
     * Calling it again does nothing.
     */
    @Override
    public void close() {
        stop();
        if (shutdownHook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs or ran
        }
    }

    private synchronized void stop() {
        if (closed) {
            return;
        }
        closed = true;
        if (process != null) {
            kill(process);
            return;
        }
        try {
            send(serverUrl, "DELETE", tenantPath(tenant), null);
        } catch (JpkiMockException e) {
            if (e.status() != 404) {
                throw e;
            }
        }
    }

    @Override
    public String toString() {
        return "JpkiMock[" + baseUrl + (closed ? ", closed" : "") + "]";
    }

    // ---- tenants ----

    /** {@link #createTenant(String, Duration, String)} with a random name, no time to live, no preset. */
    public JpkiMock createTenant() {
        return createTenant(null, null, null);
    }

    /** {@link #createTenant(String, Duration, String)} with this name, no time to live, no preset. */
    public JpkiMock createTenant(String name) {
        return createTenant(name, null, null);
    }

    /**
     * Creates a tenant of the server ({@code POST /api/v1/tenants}): a whole mock of its
     * own (CAs, cards, clock, faults, request log) under {@code {baseUrl}/t/{tenant}}.
     * Returns a {@code JpkiMock} for it: every method works on it, with its own
     * {@link #baseUrl()} and admin token; {@link #tenant()} is its name. Its
     * {@link #close()} deletes the tenant; one never closed lives until its time to live
     * runs out (real time) or the server stops.
     *
     * @param name 1 to 63 characters of a-z, 0-9 and '-'; null for a random {@code t-…}
     * @param ttl the time to live, in whole seconds (1 s to a year); null for none
     * @param preset a configuration preset of the server (e.g. {@code jpki-test}); null for none
     * @throws JpkiMockException 400 {@code bad_input} for a bad name, 409 {@code refused}
     *     for a taken one or when the server has as many tenants as it allows
     */
    public JpkiMock createTenant(String name, Duration ttl, String preset) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (name != null) {
            body.put("name", name);
        }
        if (ttl != null) {
            body.put("ttl_seconds", ttl.getSeconds());
        }
        if (preset != null) {
            body.put("preset", preset);
        }
        Map<String, Object> created = map(callServer("POST", "/api/v1/tenants", body));
        Object tenantName = created.get("tenant");
        Object url = created.get("base_url");
        Object token = created.get("admin_token");
        if (!(tenantName instanceof String) || !(url instanceof String) || !(token instanceof String)) {
            throw new JpkiMockException(0, "bad_reply", "POST /api/v1/tenants answered " + created);
        }
        return new JpkiMock(this, (String) tenantName, (String) url, (String) token);
    }

    /** The tenant's name, for a {@code JpkiMock} that {@link #createTenant()} returned; else null. */
    public String tenant() {
        return tenant;
    }

    /**
     * The server's tenants ({@code GET /api/v1/tenants}): {@code [{tenant, base_url,
     * created_at, expires_at}]} ({@code expires_at} null without a time to live).
     */
    public List<Map<String, Object>> tenants() {
        return listOfMaps(map(callServer("GET", "/api/v1/tenants", null)).get("tenants"));
    }

    /** Deletes the server's tenant {@code name} ({@code DELETE /api/v1/tenants/{name}}); 404 if there is none. */
    public void deleteTenant(String name) {
        callServer("DELETE", tenantPath(Objects.requireNonNull(name, "name")), null);
    }

    private static String tenantPath(String name) {
        return "/api/v1/tenants/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A call to the server's own routes (those of tenants), from the server or one of its tenants. */
    private Object callServer(String method, String path, Object body) {
        checkOpen();
        return send(serverUrl, method, path, body);
    }

    // ---- CA certificates ----

    /**
     * The current generation's CA certificate of {@code kind} ("sign" or "auth"), as PEM
     * ({@code GET /ca/{kind}.pem}).
     */
    public String caPem(String kind) {
        return text("/ca/" + checkKind(kind) + ".pem");
    }

    /** {@link #caPem(String)}, parsed. */
    public X509Certificate caCertificate(String kind) {
        return Card.certificates(caPem(kind)).get(0);
    }

    /** Generation {@code generation}'s CA certificate of {@code kind}, as PEM ({@code GET /ca/{kind}/{N}.pem}). */
    public String caPem(String kind, int generation) {
        return text("/ca/" + checkKind(kind) + "/" + generation + ".pem");
    }

    /**
     * Every CA generation of both CAs ({@code GET /api/v1/ca}):
     * {@code [{ca, generation, current, not_before, …, cert_pem}]}.
     */
    public List<Map<String, Object>> caGenerations() {
        return listOfMaps(call("GET", "/api/v1/ca", null));
    }

    /** A new generation of the {@code kind} CA, issuing from now ({@code POST /api/v1/ca/{kind}/rollover}). */
    public Map<String, Object> rollover(String kind) {
        return map(call("POST", "/api/v1/ca/" + checkKind(kind) + "/rollover", Collections.emptyMap()));
    }

    /**
     * A PKCS12 key store (no password) with a trusted-certificate entry for every
     * generation of both CAs, aliases {@code sign-1}, {@code auth-1}, {@code sign-2}, …:
     * the trust anchors for {@code new PKIXParameters(mock.trustStore())}. Generations
     * share one DN, so all of them are needed to validate every certificate.
     */
    public KeyStore trustStore() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (Map<String, Object> generation : caGenerations()) {
                String kind = (String) generation.get("ca");
                int n = ((Number) generation.get("generation")).intValue();
                store.setCertificateEntry(kind + "-" + n, Card.certificates(caPem(kind, n)).get(0));
            }
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new JpkiMockException(0, "bad_reply", "cannot build the trust store: " + e.getMessage(), null, e);
        }
    }

    // ---- cards ----

    /**
     * Issues a card ({@code POST /api/v1/cards}): {@code name} ("surname given"),
     * {@code birth} (YYYY-MM-DD), {@code gender} (male, female, unknown), {@code address},
     * and optionally {@code sign_pin}, {@code auth_pin}, {@code key_alg} (rsa2048, p256, p384),
     * {@code locality}, {@code issued_on}, {@code card_expiry}, {@code only},
     * {@code force_sign}.
     */
    public Card issue(Map<String, ?> fields) {
        return new Card(map(call("POST", "/api/v1/cards", fields)));
    }

    /** A card with each certificate's status now ({@code GET /api/v1/cards/{id}}). */
    public Map<String, Object> card(long cardId) {
        return map(call("GET", "/api/v1/cards/" + cardId, null));
    }

    /**
     * Applies a cause to a card ({@code POST /api/v1/cards/{id}/events}): stop, lost,
     * stolen, card_invalidated, name_change, address_change, ex_officio, leak, emigration
     * (the causes about a phone take a platform: {@link #revoke(long, String, Collection,
     * String)}). Returns
     * {@code {card_id, cause, revoked: [{serial, kind, reason, revoked_at}], message}}.
     */
    public Map<String, Object> revoke(long cardId, String cause) {
        return event(cardId, cause, null);
    }

    /** {@link #revoke(long, String)} for some certificates only ("sign", "auth"). */
    public Map<String, Object> revoke(long cardId, String cause, String... certs) {
        return event(cardId, cause, Arrays.asList(certs));
    }

    /** {@link #revoke(long, String)} for some certificates only ("sign", "auth"). */
    public Map<String, Object> revoke(long cardId, String cause, Collection<String> certs) {
        return event(cardId, cause, new ArrayList<>(certs));
    }

    /**
     * {@link #revoke(long, String)} with a platform, for the causes about a phone:
     * phone_lost (both its certificates on hold), phone_stolen, device_change,
     * device_disposed need {@code platform} ("android" or "ios"); 400 {@code bad_input}
     * without it. {@code certs} ("sign", "auth") may be null for the cause's default;
     * {@code platform} null for a cause about the card.
     */
    public Map<String, Object> revoke(long cardId, String cause, Collection<String> certs, String platform) {
        return event(cardId, cause, certs == null ? null : new ArrayList<>(certs), platform);
    }

    private Map<String, Object> event(long cardId, String cause, List<String> certs) {
        return event(cardId, cause, certs, null);
    }

    private Map<String, Object> event(long cardId, String cause, List<String> certs, String platform) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("cause", Objects.requireNonNull(cause, "cause"));
        if (certs != null) {
            body.put("certs", certs);
        }
        if (platform != null) {
            body.put("platform", platform);
        }
        return map(call("POST", "/api/v1/cards/" + cardId + "/events", body));
    }

    /**
     * A new signing certificate on a card whose signing certificate was revoked (after
     * name_change, address_change, emigration, …) with new facts
     * ({@code POST /api/v1/cards/{id}/certs/sign}): {@code name}, {@code address},
     * {@code locality} (for an address abroad), {@code sign_pin}, each defaulting to the
     * card's; the card keeps the new ones. The answer has {@code sign} only; 409
     * {@code refused} while the signing certificate is still good.
     */
    public Card issueSigningCertificate(long cardId, Map<String, ?> fields) {
        return new Card(map(call("POST", "/api/v1/cards/" + cardId + "/certs/sign",
            fields == null ? Collections.emptyMap() : fields)));
    }

    /** {@link #issueSigningCertificate(long, Map)} with the card's facts as they are. */
    public Card issueSigningCertificate(long cardId) {
        return issueSigningCertificate(cardId, Collections.emptyMap());
    }

    // ---- phones ----

    /**
     * Issues a phone's signing and auth certificates for the card's holder
     * ({@code POST /api/v1/cards/{id}/phones}): {@code platform} "android" or "ios",
     * {@code deviceId} the device's (null: made up). The answer is a {@link Card} with
     * {@code platform} and {@code device_id} too; a set already on that platform is
     * revoked (device_change) and listed under {@code revoked}.
     */
    public Card issuePhone(long cardId, String platform, String deviceId) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("platform", Objects.requireNonNull(platform, "platform"));
        if (deviceId != null) {
            body.put("device_id", deviceId);
        }
        return new Card(map(call("POST", "/api/v1/cards/" + cardId + "/phones", body)));
    }

    /** {@link #issuePhone(long, String, String)} with a made-up device id. */
    public Card issuePhone(long cardId, String platform) {
        return issuePhone(cardId, platform, null);
    }

    /**
     * Suspends a lost phone ({@code POST /api/v1/cards/{id}/phones/{platform}/suspend}):
     * both its certificates on hold (certificateHold, cause phone_lost). Returns
     * {@code {card_id, cause, revoked: [{serial, kind, reason, revoked_at}], message}}.
     */
    public Map<String, Object> suspendPhone(long cardId, String platform) {
        return map(call("POST", phonePath(cardId, platform) + "/suspend", Collections.emptyMap()));
    }

    /**
     * Resumes a suspended phone ({@code POST /api/v1/cards/{id}/phones/{platform}/resume}):
     * the hold on its auth certificate is lifted (OCSP good again, off the CRL), and its
     * signing certificate, which stays revoked, is re-issued. The answer is a
     * {@link Card} with the new {@code sign} only, {@code platform}, {@code device_id} and
     * {@code lifted} (the serials whose hold was lifted); 409 {@code refused} if the
     * phone is not suspended.
     */
    public Card resumePhone(long cardId, String platform) {
        return new Card(map(call("POST", phonePath(cardId, platform) + "/resume", Collections.emptyMap())));
    }

    private static String phonePath(long cardId, String platform) {
        return "/api/v1/cards/" + cardId + "/phones/"
            + URLEncoder.encode(Objects.requireNonNull(platform, "platform"), StandardCharsets.UTF_8).replace("+", "%20");
    }

    // ---- links and latest facts ----

    /**
     * A certificate's links ({@code GET /api/v1/certs/{serial}/links}): {@code {serial,
     * pair, predecessor, successors: [{serial, event}], current}}; {@code pair} is the
     * other certificate of the same card or phone, {@code current} the newest one its
     * successors lead to.
     */
    public Map<String, Object> links(long serial) {
        return map(call("GET", "/api/v1/certs/" + serial + "/links", null));
    }

    /**
     * The holder's latest basic four facts ({@code GET /api/v1/certs/{serial}/latest-facts}):
     * {@code {serial, card_id, name, birth_date, gender, address}} as the signing
     * certificate's subjectAltName carries them; 403 {@code forbidden} unless the card
     * consents ({@link #setLatestFactsConsent(long, boolean)}).
     */
    public Map<String, Object> latestFacts(long serial) {
        return map(call("GET", "/api/v1/certs/" + serial + "/latest-facts", null));
    }

    /**
     * Sets a card's consent to the latest-facts service
     * ({@code PUT /api/v1/cards/{id}/latest-facts-consent}); returns {@code {card_id,
     * latest_facts_consent}}.
     */
    public Map<String, Object> setLatestFactsConsent(long cardId, boolean consent) {
        return map(call("PUT", "/api/v1/cards/" + cardId + "/latest-facts-consent",
            Collections.singletonMap("consent", consent)));
    }

    /**
     * Renews a card's certificates ({@code POST /api/v1/cards/{id}/renew}); allowed in
     * the three months before expiry (409 {@code refused} otherwise, see
     * {@link #setClock(String)}). The answer also lists the superseded certificates under
     * {@code revoked}.
     */
    public Card renew(long cardId) {
        return new Card(map(call("POST", "/api/v1/cards/" + cardId + "/renew", Collections.emptyMap())));
    }

    /** {@link #renew(long)} for some certificates only ("sign", "auth"). */
    public Card renew(long cardId, String... certs) {
        return renew(cardId, Arrays.asList(certs));
    }

    /** {@link #renew(long)} for some certificates only ("sign", "auth"). */
    public Card renew(long cardId, Collection<String> certs) {
        Map<String, Object> body = Collections.singletonMap("certs", new ArrayList<>(certs));
        return new Card(map(call("POST", "/api/v1/cards/" + cardId + "/renew", body)));
    }

    // ---- clock ----

    /**
     * Fixes the virtual clock ({@code PUT /api/v1/clock}): an RFC 3339 instant or a date
     * (00:00 JST). Returns {@code {mode: "fixed", now, …}}.
     */
    public Map<String, Object> setClock(String now) {
        return map(call("PUT", "/api/v1/clock", Collections.singletonMap("now", Objects.requireNonNull(now))));
    }

    /** {@link #setClock(String)} at an instant. */
    public Map<String, Object> setClock(Instant now) {
        return setClock(now.toString());
    }

    /** Runs the virtual clock at real time plus {@code seconds}. */
    public Map<String, Object> setClockOffset(long seconds) {
        return map(call("PUT", "/api/v1/clock", Collections.singletonMap("offset_seconds", seconds)));
    }

    /** The virtual clock ({@code GET /api/v1/clock}): {@code {mode, now, …}}. */
    public Map<String, Object> clock() {
        return map(call("GET", "/api/v1/clock", null));
    }

    /** Back to real time ({@code DELETE /api/v1/clock}). */
    public Map<String, Object> resetClock() {
        return map(call("DELETE", "/api/v1/clock", null));
    }

    // ---- faults ----

    /**
     * Adds a fault to those in force, e.g. {@code Map.of("fault", "ocsp_status", "status",
     * "tryLater", "ca", "sign", "count", 1)} (see the README's fault table). Returns the
     * faults now in force. It reads the faults, then writes them back with this one: an
     * OCSP or CRL request served between the two does not use up a counted fault.
     */
    public synchronized List<Map<String, Object>> inject(Map<String, ?> fault) {
        List<Object> all = new ArrayList<>(faults());
        all.add(fault);
        return putFaults(all);
    }

    /** Replaces the faults in force ({@code PUT /api/v1/faults}). */
    public synchronized List<Map<String, Object>> setFaults(List<? extends Map<String, ?>> faults) {
        return putFaults(new ArrayList<>(faults));
    }

    private List<Map<String, Object>> putFaults(List<Object> faults) {
        return listOfMaps(map(call("PUT", "/api/v1/faults", faults)).get("faults"));
    }

    /** The faults in force, with what is left of their counts ({@code GET /api/v1/faults}). */
    public List<Map<String, Object>> faults() {
        return listOfMaps(map(call("GET", "/api/v1/faults", null)).get("faults"));
    }

    /** Clears every fault ({@code DELETE /api/v1/faults}). */
    public synchronized void clearFaults() {
        call("DELETE", "/api/v1/faults", null);
    }

    // ---- request log ----

    /** The OCSP and CRL requests the server received (the last 10,000), oldest first. */
    public List<Map<String, Object>> requests() {
        return listOfMaps(map(call("GET", "/api/v1/requests", null)).get("requests"));
    }

    /** The requests that asked about this serial number. */
    public List<Map<String, Object>> requests(long serial) {
        return listOfMaps(map(call("GET", "/api/v1/requests?serial=" + serial, null)).get("requests"));
    }

    /** Empties the request log ({@code DELETE /api/v1/requests}). */
    public void clearRequests() {
        call("DELETE", "/api/v1/requests", null);
    }

    // ---- any route ----

    /**
     * Calls any route of the server: {@code method} ("GET", "POST", …), {@code path} from
     * the root (e.g. {@code /api/v1/cards/3/reissue}), {@code body} written as JSON (a
     * Map, List, String, Number, Boolean; null for none; POST and PUT send {@code {}} for
     * none). Returns the answer's JSON (Map, List, …), or its text if it is not JSON.
     */
    public Object api(String method, String path, Object body) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("the path must start with '/': " + path);
        }
        return call(method, path, body);
    }

    private String text(String path) {
        Object reply = call("GET", path, null);
        if (!(reply instanceof String)) {
            throw new JpkiMockException(0, "bad_reply", "GET " + path + " answered JSON, not text");
        }
        return (String) reply;
    }

    private Object call(String method, String path, Object body) {
        checkOpen();
        return send(baseUrl, method, path, body);
    }

    private void checkOpen() {
        if (closed) {
            throw new JpkiMockException(0, "closed", tenant == null
                ? "the jpki-mock at " + baseUrl + " was stopped"
                : "the jpki-mock tenant " + tenant + " at " + baseUrl + " was closed (and deleted)");
        }
    }

    private Object send(String root, String method, String path, Object body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(root + path)).timeout(requestTimeout);
        if (body == null && (method.equals("POST") || method.equals("PUT"))) {
            body = Collections.emptyMap();
        }
        if (body != null) {
            request.header("Content-Type", JSON)
                .method(method, HttpRequest.BodyPublishers.ofString(Json.write(body), StandardCharsets.UTF_8));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        if (adminToken != null) {
            request.header("Authorization", "Bearer " + adminToken);
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new JpkiMockException(0, "io", method + " " + path + ": " + e, null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JpkiMockException(0, "io", method + " " + path + ": interrupted", null, e);
        }
        boolean json = response.headers().firstValue("Content-Type").orElse("").startsWith(JSON);
        Object reply;
        if (json) {
            try {
                reply = Json.parse(response.body());
            } catch (IllegalArgumentException e) {
                throw new JpkiMockException(response.statusCode(), "bad_reply",
                    method + " " + path + ": " + e.getMessage(), null, e);
            }
        } else {
            reply = response.body();
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return reply;
        }
        if (reply instanceof Map && ((Map<?, ?>) reply).get("error") instanceof String) {
            Map<String, Object> error = map(reply);
            Object message = error.get("message");
            throw new JpkiMockException(status, (String) error.get("error"),
                message instanceof String ? (String) message : String.valueOf(error), error, null);
        }
        throw new JpkiMockException(status, "http_" + status,
            method + " " + path + ": " + String.valueOf(reply).trim());
    }

    private static String checkKind(String kind) {
        if (!"sign".equals(kind) && !"auth".equals(kind)) {
            throw new IllegalArgumentException("a CA kind is \"sign\" or \"auth\", not " + kind);
        }
        return kind;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        if (!(value instanceof Map)) {
            throw new JpkiMockException(0, "bad_reply", "expected a JSON object, got " + value);
        }
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> listOfMaps(Object value) {
        if (!(value instanceof List)) {
            throw new JpkiMockException(0, "bad_reply", "expected a JSON array, got " + value);
        }
        for (Object item : (List<Object>) value) {
            map(item);
        }
        return (List<Map<String, Object>>) value;
    }
}
