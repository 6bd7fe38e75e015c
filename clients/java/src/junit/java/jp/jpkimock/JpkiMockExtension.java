package jp.jpkimock;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension: one jpki-mock server per test class, injected as a {@link JpkiMock}
 * parameter of test methods, lifecycle methods ({@code @BeforeEach}, {@code @BeforeAll},
 * …) and constructors, and stopped when the class's tests are done.
 *
 * <pre>{@code
 * @ExtendWith(JpkiMockExtension.class)
 * class MyTest {
 *     @Test
 *     void checksOcsp(JpkiMock mock) { … }
 * }
 * }</pre>
 *
 * <p>The server lives in the test class's {@link ExtensionContext.Store}, which closes it
 * after the class (after {@code @AfterAll}). {@code @Nested} classes share their outer
 * class's server. The server's state (cards, clock, faults, request log) carries over
 * from one test method to the next: reset what a test changed, e.g.
 * {@code mock.resetClock()} and {@code mock.clearFaults()} in an {@code @AfterEach}.
 * To start it with {@link JpkiMock.Options}, register it in a static field:
 * {@code @RegisterExtension static JpkiMockExtension mock = new JpkiMockExtension(new
 * JpkiMock.Options().seed("fixed"));}.
 *
 * <p>A parameter annotated {@link Tenant @Tenant} is instead a tenant of that server for
 * the one test (see {@link JpkiMock#createTenant()}): a mock of its own, with its own
 * cards, clock, faults and request log, deleted after the test. Tests that use it need
 * to reset nothing and may run in parallel.
 */
public class JpkiMockExtension implements BeforeAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE =
        ExtensionContext.Namespace.create(JpkiMockExtension.class);
    private static final String KEY = "server";
    private static final String TENANT_KEY = "tenant";

    /**
     * On a {@link JpkiMock} parameter: a tenant of the class's server, created for the
     * test and deleted after it. The test method, its {@code @BeforeEach} and its
     * {@code @AfterEach} methods get the same tenant; each test, another.
     *
     * <pre>{@code
     * @Test
     * void onItsOwnClock(@JpkiMockExtension.Tenant JpkiMock mock) {
     *     mock.setClock("2030-01-01");   // no other test sees it
     * }
     * }</pre>
     */
    @Documented
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.PARAMETER)
    public @interface Tenant {
    }

    private final JpkiMock.Options options;

    /** The extension with the default options (as {@code @ExtendWith} creates it). */
    public JpkiMockExtension() {
        this(new JpkiMock.Options());
    }

    /** The extension with these options (for {@code @RegisterExtension}). */
    public JpkiMockExtension(JpkiMock.Options options) {
        this.options = options;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server(context); // start it before the first test, so that a start failure fails the class
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == JpkiMock.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (!parameter.isAnnotated(Tenant.class)) {
            return server(context);
        }
        if (context.getTestMethod().isEmpty()) {
            throw new ParameterResolutionException("@JpkiMockExtension.Tenant is for test methods and their "
                + "@BeforeEach/@AfterEach methods (one tenant per test), not for " + parameter.getDeclaringExecutable());
        }
        // The test method's own store: closed (the tenant deleted) after its @AfterEach methods.
        return context.getStore(NAMESPACE)
            .getOrComputeIfAbsent(TENANT_KEY, key -> new Resource(server(context).createTenant()), Resource.class)
            .mock;
    }

    /** The server of the test class that {@code context} belongs to, started on first use. */
    private JpkiMock server(ExtensionContext context) {
        ExtensionContext classContext = context;
        while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
            classContext = classContext.getParent().get();
        }
        return classContext.getStore(NAMESPACE)
            .getOrComputeIfAbsent(KEY, key -> new Resource(JpkiMock.start(options)), Resource.class)
            .mock;
    }

    /** What the store closes at the end of the class (a server) or of the test (a tenant). */
    private static final class Resource implements ExtensionContext.Store.CloseableResource {
        final JpkiMock mock;

        Resource(JpkiMock mock) {
            this.mock = mock;
        }

        @Override
        public void close() {
            mock.close();
        }
    }
}
