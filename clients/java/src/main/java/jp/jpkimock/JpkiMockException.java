package jp.jpkimock;

import java.util.Collections;
import java.util.Map;

/**
 * A failure talking to jpki-mock. For an error the admin API answered, {@link #status()}
 * is the HTTP status, {@link #code()} the {@code error} field ({@code bad_input},
 * {@code not_found}, {@code refused}, {@code wrong_pin}, …) and {@link #getMessage()}
 * the {@code message} field; {@link #body()} holds the whole JSON object (for extra
 * fields such as {@code remaining_tries}).
 *
 * <p>Failures that are not an HTTP answer have status 0 and one of these codes:
 * {@code binary_not_found} (neither JPKI_MOCK_BIN nor PATH gives a jpki-mock),
 * {@code start_failed} (the server exited or did not say it was ready in time; the
 * message ends with the last lines it wrote on stderr), {@code io} (the request could
 * not be sent or its answer read), {@code bad_reply} (an answer that is not the JSON
 * expected) and {@code closed} (the server was stopped).
 */
public class JpkiMockException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final transient Map<String, Object> body;

    public JpkiMockException(int status, String code, String message) {
        this(status, code, message, Collections.emptyMap(), null);
    }

    public JpkiMockException(int status, String code, String message, Map<String, Object> body, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
        this.body = body == null ? Collections.emptyMap() : body;
    }

    /** The HTTP status of the answer, or 0 when there was none. */
    public int status() {
        return status;
    }

    /** The API's error code, e.g. {@code not_found}; see the class comment for status 0. */
    public String code() {
        return code;
    }

    /** The error answer's JSON object ({@code error}, {@code message}, …); empty if none. */
    public Map<String, Object> body() {
        return body;
    }

    @Override
    public String toString() {
        return "JpkiMockException: " + (status != 0 ? status + " " : "") + code + ": " + getMessage();
    }
}
