package dev.drkit.core.health;

import dev.drkit.core.internal.Checks;
import dev.drkit.core.internal.Failures;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a service's health checks and aggregates them into liveness and readiness. Instances are thread-safe;
 * each probe runs its checks afresh.
 *
 * <pre>{@code
 * HealthMonitor health = HealthMonitor.builder()
 *     .liveness("event-loop", loopCheck)
 *     .dependency("orders-db", Criticality.CRITICAL, HealthCheck.circuitBreaker(ordersBreaker))
 *     .dependency("payments", Criticality.DEGRADED_OK, HealthCheck.circuitBreaker(paymentsBreaker))
 *     .dependency("recommendations", Criticality.OPTIONAL, recommendationsCheck)
 *     .checkTimeout(Duration.ofSeconds(2))
 *     .build();
 * }</pre>
 *
 * <h2>Liveness is not readiness</h2>
 * {@link #liveness()} asks whether the process itself works, from the liveness checks only: an orchestrator
 * restarts a process that is not live, and restarting never fixes a dependency, so dependencies never make a
 * service un-live. {@link #readiness()} asks whether the service can take traffic, from the dependency
 * checks only.
 *
 * <h2>Aggregation</h2>
 * Readiness, from the dependencies:
 * <ol>
 * <li>DOWN if and only if any {@link Criticality#CRITICAL} dependency is DOWN;</li>
 * <li>otherwise DEGRADED if any CRITICAL dependency is DEGRADED, or any {@link Criticality#DEGRADED_OK}
 *     dependency is DOWN or DEGRADED;</li>
 * <li>otherwise UP.</li>
 * </ol>
 * {@link Criticality#OPTIONAL} dependencies never change the status; they are reported all the same. A
 * service that is DEGRADED is still ready ({@link HealthReport#passing()}). Liveness is the worst status of
 * the liveness checks (UP when there are none).
 *
 * <h2>Failing and slow checks</h2>
 * A check that throws counts as DOWN with the exception's class name (and SQL state, for SQL exceptions) as
 * detail, never its message (which may hold a connection string or data). A check that returns {@code null}
 * counts as DOWN too. Checks run concurrently on the {@linkplain Builder#executor(Executor) executor}; one
 * that has not finished within the {@linkplain Builder#checkTimeout(Duration) timeout} counts as DOWN with
 * detail {@code "java.util.concurrent.TimeoutException after <n> ms"}, and its thread is interrupted. A check
 * should still bound its own I/O, since not every blocking call answers an interrupt.
 *
 * <p>Checks are single-flight: while a run of a check has not ended (it ignored the interrupt, or still waits
 * in the executor's queue), probes do not start it again but report it DOWN with detail
 * {@code "still running from an earlier probe"}. So a hung check holds one thread, however often the
 * service is probed. With a direct executor ({@code Runnable::run}) checks run one by one on the caller's
 * thread and cannot time out.
 *
 * <h2>Logs</h2>
 * When the readiness status changes between two probes, one line: WARN when it gets worse, INFO when it gets
 * better, naming the dependencies that are not UP.
 *
 * @since 0.1
 */
public final class HealthMonitor {

    private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);

    /** Default time a check may take before it counts as DOWN, in milliseconds: {@value}. */
    public static final long DEFAULT_CHECK_TIMEOUT_MILLIS = 2_000;

    private final List<Registration> liveness;
    private final List<Registration> dependencies;
    private final Duration checkTimeout;
    private final Executor executor;
    private final AtomicReference<@Nullable HealthStatus> lastReadiness = new AtomicReference<>();

    private HealthMonitor(Builder builder) {
        this.liveness = List.copyOf(builder.liveness);
        this.dependencies = List.copyOf(builder.dependencies);
        this.checkTimeout = builder.checkTimeout;
        Executor executor = builder.executor;
        this.executor = executor != null ? executor : SharedExecutor.INSTANCE;
    }

    /**
     * A builder with no checks, a timeout of {@value #DEFAULT_CHECK_TIMEOUT_MILLIS} ms and a shared pool of
     * daemon threads.
     *
     * @since 0.1
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs the liveness checks now and aggregates them: the worst status found, UP when there are none.
     *
     * @since 0.1
     */
    public HealthReport liveness() {
        List<ComponentHealth> components = run(liveness);
        HealthStatus status = HealthStatus.UP;
        for (ComponentHealth component : components) {
            if (component.status().compareTo(status) > 0) {
                status = component.status();
            }
        }
        return new HealthReport(HealthReport.Probe.LIVENESS, status, components);
    }

    /**
     * Runs the dependency checks now and aggregates them by the rules in the class description.
     *
     * @since 0.1
     */
    public HealthReport readiness() {
        List<ComponentHealth> components = run(dependencies);
        HealthStatus status = readinessOf(components);
        HealthStatus previous = lastReadiness.getAndSet(status);
        if (previous != null && previous != status) {
            List<String> notUp = new ArrayList<>();
            for (ComponentHealth component : components) {
                if (component.status() != HealthStatus.UP) {
                    notUp.add(component.name() + " " + component.status());
                }
            }
            if (status.compareTo(previous) > 0) {
                log.warn("Readiness changed from {} to {}: {}", previous, status, notUp);
            } else {
                log.info("Readiness changed from {} to {}: {}", previous, status, notUp);
            }
        }
        return new HealthReport(HealthReport.Probe.READINESS, status, components);
    }

    static HealthStatus readinessOf(List<ComponentHealth> dependencies) {
        boolean degraded = false;
        for (ComponentHealth dependency : dependencies) {
            switch (dependency.criticality()) {
                case CRITICAL:
                    if (dependency.status() == HealthStatus.DOWN) {
                        return HealthStatus.DOWN;
                    }
                    degraded |= dependency.status() == HealthStatus.DEGRADED;
                    break;
                case DEGRADED_OK:
                    degraded |= dependency.status() != HealthStatus.UP;
                    break;
                case OPTIONAL:
                default:
                    break;
            }
        }
        return degraded ? HealthStatus.DEGRADED : HealthStatus.UP;
    }

    private List<ComponentHealth> run(List<Registration> registrations) {
        List<Run> runs = new ArrayList<>(registrations.size());
        for (Registration registration : registrations) {
            runs.add(registration.start(executor, checkTimeout));
        }
        List<ComponentHealth> components = new ArrayList<>(runs.size());
        for (Run run : runs) {
            components.add(run.await());
        }
        return components;
    }

    /**
     * One run of one check. The thread running it is remembered while it runs, so that a run that timed out
     * can be interrupted, and only then: never a pool thread that has moved on to other work.
     */
    private static final class Run {
        private final CompletableFuture<ComponentHealth> result = new CompletableFuture<>();
        private @Nullable ComponentHealth timedOut;
        private @Nullable Thread thread;
        private boolean finished;
        private boolean interrupted;

        static Run of(ComponentHealth health) {
            Run run = new Run();
            run.result.complete(health);
            return run;
        }

        synchronized void started() {
            if (!finished) {
                thread = Thread.currentThread();
            }
        }

        void finished() {
            boolean clear;
            synchronized (this) {
                finished = true;
                thread = null;
                clear = interrupted;
            }
            if (clear) {
                Thread.interrupted();   // the interrupt was meant for this check only, not for the pool thread
            }
        }

        synchronized void interrupt() {
            if (thread != null && !finished) {
                interrupted = true;
                thread.interrupt();
            }
        }

        ComponentHealth await() {
            ComponentHealth health = result.join();
            if (health == timedOut) {
                interrupt();
            }
            return health;
        }
    }

    /** A registered check. */
    private static final class Registration {
        final String name;
        final Criticality criticality;
        final HealthCheck check;
        /** Whether a run of this check was handed to the executor and has not ended yet. */
        final AtomicBoolean inFlight = new AtomicBoolean();

        Registration(String name, Criticality criticality, HealthCheck check) {
            this.name = name;
            this.criticality = criticality;
            this.check = check;
        }

        /** Starts a run of the check unless one is still going: checks are single-flight. */
        Run start(Executor executor, Duration timeout) {
            if (!inFlight.compareAndSet(false, true)) {
                return Run.of(new ComponentHealth(name, criticality, HealthStatus.DOWN,
                    "still running from an earlier probe"));
            }
            Run run = new Run();
            run.timedOut = timedOut(timeout);
            try {
                executor.execute(() -> {
                    run.started();
                    try {
                        run.result.complete(run());
                    } catch (Throwable e) {
                        run.result.complete(failed(e));
                    } finally {
                        run.finished();
                        inFlight.set(false);
                    }
                });
            } catch (RuntimeException e) {
                // The executor refused the check (shut down, saturated): that is a failed check too.
                inFlight.set(false);
                return Run.of(failed(e));
            }
            run.result.completeOnTimeout(run.timedOut, timeout.toNanos(), TimeUnit.NANOSECONDS);
            return run;
        }

        ComponentHealth run() {
            HealthResult result;
            try {
                result = check.check();
            } catch (Exception e) {
                return failed(e);
            }
            if (result == null) {
                return new ComponentHealth(name, criticality, HealthStatus.DOWN, "check returned null");
            }
            return new ComponentHealth(name, criticality, result.status(), result.detail());
        }

        ComponentHealth failed(Throwable failure) {
            // The type (and SQL state) only: messages may hold connection strings, hosts with credentials, or data.
            return new ComponentHealth(name, criticality, HealthStatus.DOWN, Failures.describe(failure));
        }

        ComponentHealth timedOut(Duration timeout) {
            return new ComponentHealth(name, criticality, HealthStatus.DOWN,
                "java.util.concurrent.TimeoutException after " + timeout.toMillis() + " ms");
        }
    }

    /**
     * A bounded pool of daemon threads shared by every monitor that was given no executor. Idle threads end
     * after a minute. Checks beyond the pool's size wait in its queue (and time out there if they must).
     */
    private static final class SharedExecutor {
        static final int THREADS = 8;
        static final ExecutorService INSTANCE = create();

        private static ExecutorService create() {
            AtomicInteger count = new AtomicInteger();
            ThreadFactory daemons = task -> {
                Thread thread = new Thread(task, "drkit-health-" + count.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            };
            ThreadPoolExecutor pool = new ThreadPoolExecutor(THREADS, THREADS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemons);
            pool.allowCoreThreadTimeOut(true);
            return pool;
        }
    }

    /**
     * Builds a {@link HealthMonitor}. Not thread-safe.
     *
     * @since 0.1
     */
    public static final class Builder {

        private final List<Registration> liveness = new ArrayList<>();
        private final List<Registration> dependencies = new ArrayList<>();
        private final Set<String> names = new HashSet<>();
        private Duration checkTimeout = Duration.ofMillis(DEFAULT_CHECK_TIMEOUT_MILLIS);
        private @Nullable Executor executor;

        private Builder() {
        }

        /**
         * Adds a check of the process itself (a deadlocked pool, a stopped event loop), for liveness only.
         *
         * @throws IllegalArgumentException if {@code name} is blank or already registered
         * @since 0.1
         */
        public Builder liveness(String name, HealthCheck check) {
            liveness.add(new Registration(unique(name), Criticality.CRITICAL, Objects.requireNonNull(check, "check")));
            return this;
        }

        /**
         * Adds a check of a dependency, for readiness only.
         *
         * @throws IllegalArgumentException if {@code name} is blank or already registered
         * @since 0.1
         */
        public Builder dependency(String name, Criticality criticality, HealthCheck check) {
            dependencies.add(new Registration(unique(name), Objects.requireNonNull(criticality, "criticality"),
                Objects.requireNonNull(check, "check")));
            return this;
        }

        /**
         * How long a check may take before it counts as DOWN; default
         * {@value HealthMonitor#DEFAULT_CHECK_TIMEOUT_MILLIS} ms.
         *
         * @throws IllegalArgumentException unless positive
         * @since 0.1
         */
        public Builder checkTimeout(Duration timeout) {
            this.checkTimeout = Checks.positive(timeout, "checkTimeout");
            return this;
        }

        /**
         * Where checks run; default a shared pool of at most eight daemon threads named {@code drkit-health-<n>}.
         *
         * @since 0.1
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * The monitor.
         *
         * @since 0.1
         */
        public HealthMonitor build() {
            return new HealthMonitor(this);
        }

        private String unique(String name) {
            Checks.notBlank(name, "name");
            if (!names.add(name)) {
                throw new IllegalArgumentException("name must be unique, but '" + name + "' is already registered");
            }
            return name;
        }
    }
}
