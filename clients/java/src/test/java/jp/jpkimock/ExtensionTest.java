package jp.jpkimock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** {@link JpkiMockExtension}: injection, one server per class, stopped after the class. */
@ExtendWith(JpkiMockExtension.class)
class ExtensionTest {
    private static JpkiMock fromBeforeAll;
    private final JpkiMock fromConstructor;

    ExtensionTest(JpkiMock mock) {
        this.fromConstructor = mock;
    }

    @BeforeAll
    static void beforeAll(JpkiMock mock) {
        fromBeforeAll = mock;
    }

    @Test
    void oneServerForConstructorLifecycleAndTestMethods(JpkiMock mock) {
        assertSame(fromBeforeAll, mock);
        assertSame(fromConstructor, mock);
        assertTrue(mock.isRunning());
    }

    @Test
    void theSameServerForEveryMethod(JpkiMock mock) {
        assertSame(fromBeforeAll, mock);
    }

    @Nested
    class Inner {
        @Test
        void nestedClassesShareTheOuterServer(JpkiMock mock) {
            assertSame(fromConstructor, mock);
        }
    }

    // ---- the store closes the server: run sample classes with a launcher of their own ----

    static volatile boolean launching;
    static final List<JpkiMock> seen = Collections.synchronizedList(new ArrayList<>());

    static boolean launching() {
        return launching;
    }

    private static TestExecutionSummary launch(Class<?> testClass) {
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launching = true;
        try {
            LauncherFactory.create().execute(
                LauncherDiscoveryRequestBuilder.request().selectors(DiscoverySelectors.selectClass(testClass)).build(),
                listener);
        } finally {
            launching = false;
        }
        return listener.getSummary();
    }

    @Test
    void theServerStopsAfterTheClass() {
        seen.clear();
        TestExecutionSummary summary = launch(Sample.class);
        assertEquals(2, summary.getTestsSucceededCount(), () -> summary.getFailures().toString());
        assertEquals(2, seen.size());
        assertSame(seen.get(0), seen.get(1), "one server for the class");
        assertFalse(seen.get(0).isRunning(), "stopped after the class");

        JpkiMock first = seen.get(0);
        seen.clear();
        launch(Sample.class);
        assertEquals(2, seen.size());
        assertNotSame(first, seen.get(0), "another run of the class, another server");
        assertFalse(seen.get(0).isRunning());
    }

    @Test
    void registerExtensionTakesOptions() {
        seen.clear();
        TestExecutionSummary summary = launch(WithOptions.class);
        assertEquals(1, summary.getTestsSucceededCount(), () -> summary.getFailures().toString());
        assertFalse(seen.get(0).isRunning());
    }

    @EnabledIf("jp.jpkimock.ExtensionTest#launching")
    @ExtendWith(JpkiMockExtension.class)
    static class Sample {
        @Test
        void one(JpkiMock mock) {
            seen.add(mock);
            assertTrue(mock.isRunning());
        }

        @Test
        void two(JpkiMock mock) {
            seen.add(mock);
            assertTrue(mock.isRunning());
        }
    }

    @EnabledIf("jp.jpkimock.ExtensionTest#launching")
    static class WithOptions {
        @RegisterExtension
        static JpkiMockExtension extension = new JpkiMockExtension(new JpkiMock.Options().adminToken("t0ken"));

        @Test
        void usesThem(JpkiMock mock) {
            seen.add(mock);
            assertEquals("system", mock.clock().get("mode"));
        }
    }
}
