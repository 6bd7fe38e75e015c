import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;

/**
 * An 11 MB POST with Java's HttpClient (HTTP/1.1), far over the server's 64 KiB limit:
 * the client must read the 413 and its error body, not an IOException from a connection
 * closed (reset) while it was still sending.
 *
 * usage: java TooLarge URL CONTENT_TYPE [NEEDLE]
 *
 * NEEDLE, when given, must be in the response body (e.g. "too_large" for the admin API's
 * JSON error). Prints one PASS/FAIL line; exits 1 on FAIL.
 */
public class TooLarge {
    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: java TooLarge URL CONTENT_TYPE [NEEDLE]");
            System.exit(2);
        }
        String label = "java 413 (HttpClient, 11 MB POST to " + URI.create(args[0]).getPath() + ")";
        try {
            HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .proxy(HttpClient.Builder.NO_PROXY)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
            byte[] body = new byte[11_000_000];
            Arrays.fill(body, (byte) '0');
            HttpRequest request = HttpRequest.newBuilder(URI.create(args[0]))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", args[1])
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            String text = response.body();
            if (response.statusCode() != 413) {
                fail(label, "status " + response.statusCode() + ": " + text);
            } else if (args.length > 2 && !text.contains(args[2])) {
                fail(label, "413 without " + args[2] + " in its body: " + text);
            } else {
                System.out.println("PASS " + label + ": " + text);
            }
        } catch (Exception e) {
            fail(label, e.toString());
        }
    }

    static void fail(String label, String why) {
        System.out.println("FAIL " + label + ": " + why);
        System.exit(1);
    }
}
