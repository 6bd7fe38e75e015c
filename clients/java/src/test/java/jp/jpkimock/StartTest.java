package jp.jpkimock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting and stopping servers by hand, with {@link JpkiMock.Options}, and start failures. */
class StartTest {
    @TempDir
    Path dir;

    @Test
    void startAndClose() throws Exception {
        JpkiMock mock;
        String base;
        try (JpkiMock started = JpkiMock.start()) {
            mock = started;
            base = mock.baseUrl();
            assertTrue(mock.isRunning());
            assertEquals(200, httpStatus(base + "/healthz"));
        }
        assertFalse(mock.isRunning());
        assertThrows(IOException.class, () -> httpStatus(base + "/healthz"), "the port is closed");
        JpkiMockException e = assertThrows(JpkiMockException.class, () -> mock.caPem("sign"));
        assertEquals("closed", e.code());
        mock.close(); // again: nothing
    }

    @Test
    void twoServersAreIndependent() {
        try (JpkiMock one = JpkiMock.start(); JpkiMock two = JpkiMock.start()) {
            assertNotEquals(one.baseUrl(), two.baseUrl());
            assertNotEquals(one.caCertificate("sign").getPublicKey(), two.caCertificate("sign").getPublicKey(),
                "fresh keys each time");
        }
    }

    @Test
    void seedGivesTheSameKeys() {
        JpkiMock.Options options = new JpkiMock.Options().seed("jpki-mock-java");
        try (JpkiMock one = JpkiMock.start(options); JpkiMock two = JpkiMock.start(options)) {
            assertEquals(one.caCertificate("sign").getPublicKey(), two.caCertificate("sign").getPublicKey());
        }
    }

    @Test
    void adminTokenIsRequiredAndSent() throws Exception {
        try (JpkiMock mock = JpkiMock.start(new JpkiMock.Options().adminToken("t0ken"))) {
            assertEquals("system", mock.clock().get("mode"), "the client sends the token");
            assertEquals(401, httpStatus(mock.baseUrl() + "/api/v1/clock"), "without it: 401");
            assertEquals(200, httpStatus(mock.baseUrl() + "/ca/sign.pem"), "CA routes stay open");
        }
    }

    @Test
    void aMissingBinaryIsAClearError() {
        Path missing = dir.resolve("no-such-jpki-mock");
        JpkiMockException e = assertThrows(JpkiMockException.class,
            () -> JpkiMock.start(new JpkiMock.Options().binary(missing)));
        assertEquals(0, e.status());
        assertEquals("start_failed", e.code());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void aServerThatExitsShowsItsStderr() throws Exception {
        Path fake = script("echo 'jpki-mock: cannot listen' >&2; exit 3");
        JpkiMockException e = assertThrows(JpkiMockException.class,
            () -> JpkiMock.start(new JpkiMock.Options().binary(fake)));
        assertEquals("start_failed", e.code());
        assertTrue(e.getMessage().contains("exited with status 3"), e.getMessage());
        assertTrue(e.getMessage().contains("jpki-mock: cannot listen"), e.getMessage());
    }

    @Test
    void aServerThatIsNeverReadyTimesOut() throws Exception {
        Path fake = script("echo 'a banner'; echo '{\"not\": \"ready\"}'; exec sleep 60");
        long start = System.nanoTime();
        JpkiMockException e = assertThrows(JpkiMockException.class,
            () -> JpkiMock.start(new JpkiMock.Options().binary(fake).startTimeout(Duration.ofSeconds(1))));
        assertEquals("start_failed", e.code());
        assertTrue(e.getMessage().contains("no ready line"), e.getMessage());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).getSeconds() < 20, "the sleeper was stopped");
    }

    @Test
    void theEnvironmentGivesTheBinary() {
        // JPKI_MOCK_BIN (set by scripts/test-java-client.sh) or PATH: what start() uses.
        Path binary = JpkiMock.findBinary();
        assertTrue(Files.isExecutable(binary), binary.toString());
        String fromEnv = System.getenv("JPKI_MOCK_BIN");
        if (fromEnv != null && !fromEnv.isEmpty()) {
            assertEquals(Path.of(fromEnv).toAbsolutePath(), binary);
        }
    }

    private Path script(String body) throws IOException {
        Path file = dir.resolve("fake-jpki-mock");
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }

    private static int httpStatus(String url) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) new URL(url).openConnection();
        connection.setConnectTimeout(5000);
        connection.setReadTimeout(5000);
        try {
            return connection.getResponseCode();
        } finally {
            connection.disconnect();
        }
    }
}
