package jp.jpkimock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
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

    @Test
    void aTenantParameterIsATenantOfTheClassServer(JpkiMock mock, @JpkiMockExtension.Tenant JpkiMock tenant) {
        assertNotSame(mock, tenant);
        assertEquals(mock.baseUrl() + "/t/" + tenant.tenant(), tenant.baseUrl());
        assertTrue(mock.tenants().stream().anyMatch(t -> tenant.tenant().equals(t.get("tenant"))));
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

    @Test
    void eachTestGetsATenantOfItsOwnDeletedAfterIt() {
        seen.clear();
        TestExecutionSummary summary = launch(TenantSample.class);
        assertEquals(2, summary.getTestsSucceededCount(), () -> summary.getFailures().toString());
        // @BeforeEach, test, @AfterEach: the test's tenant three times, for each of two tests.
        assertEquals(6, seen.size());
        assertSame(seen.get(0), seen.get(1));
        assertSame(seen.get(1), seen.get(2));
        assertSame(seen.get(3), seen.get(4));
        assertSame(seen.get(4), seen.get(5));
        assertNotSame(seen.get(0), seen.get(3));
        assertNotEquals(seen.get(0).tenant(), seen.get(3).tenant());
        assertFalse(seen.get(0).isRunning(), "closed after its test");
        assertFalse(seen.get(3).isRunning(), "closed after its test");
    }

    @Test
    void aTenantParameterOutsideATestIsAClearError() {
        TestExecutionSummary summary = launch(TenantInBeforeAll.class);
        assertEquals(0, summary.getTestsSucceededCount());
        assertEquals(1, summary.getFailures().size(), () -> summary.getFailures().toString());
        String message = summary.getFailures().get(0).getException().getMessage();
        assertTrue(message.contains("@JpkiMockExtension.Tenant is for test methods"), message);
    }

    @EnabledIf("jp.jpkimock.ExtensionTest#launching")
    @ExtendWith(JpkiMockExtension.class)
    static class TenantSample {
        @BeforeEach
        void before(@JpkiMockExtension.Tenant JpkiMock tenant) {
            seen.add(tenant);
        }

        @AfterEach
        void after(@JpkiMockExtension.Tenant JpkiMock tenant) {
            seen.add(tenant);
            assertTrue(tenant.isRunning(), "not yet deleted in @AfterEach");
        }

        @Test
        void one(JpkiMock mock, @JpkiMockExtension.Tenant JpkiMock tenant) {
            checkAlone(mock, tenant);
        }

        @Test
        void two(JpkiMock mock, @JpkiMockExtension.Tenant JpkiMock tenant) {
            checkAlone(mock, tenant);
        }

        /** Whichever test runs second sees nothing of the first: its tenant is gone. */
        private static void checkAlone(JpkiMock mock, JpkiMock tenant) {
            seen.add(tenant);
            assertEquals(List.of(tenant.tenant()),
                mock.tenants().stream().map(t -> t.get("tenant")).collect(Collectors.toList()));
            assertEquals(1L, tenant.issue(JpkiMockTest.holder("佐藤 花子", "1990-10-01")).cardId());
            assertEquals("system", tenant.clock().get("mode"));
            assertTrue(tenant.faults().isEmpty());
            tenant.setClock("2030-01-01"); // left as it is: the tenant goes with the test
            tenant.inject(Map.of("fault", "delay", "ms", 1));
        }
    }

    @EnabledIf("jp.jpkimock.ExtensionTest#launching")
    @ExtendWith(JpkiMockExtension.class)
    static class TenantInBeforeAll {
        @BeforeAll
        static void beforeAll(@JpkiMockExtension.Tenant JpkiMock tenant) {
            seen.add(tenant);
        }

        @Test
        void never() {
            throw new AssertionError("not reached: @BeforeAll fails the class");
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
