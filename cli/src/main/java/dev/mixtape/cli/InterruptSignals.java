package dev.mixtape.cli;

import dev.mixtape.models.train.StopRequest;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * While a run trains, Ctrl-C (SIGINT) and SIGTERM {@link StopRequest request a stop} instead of ending
 * the process: the run checkpoints the step it is in and stops, and {@link OneLineErrors} reports it
 * with exit status {@value OneLineErrors#INTERRUPTED}. A second signal ends the process at once, which
 * the run folder survives as it survives {@code kill -9} (its last checkpoint stays). Closing puts the
 * previous handlers back. Uses {@code sun.misc.Signal}, the JDK's supported way to handle signals.
 */
final class InterruptSignals implements AutoCloseable {
    private static final List<String> SIGNALS = List.of("INT", "TERM");

    private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();

    private InterruptSignals(StopRequest stop) {
        SignalHandler handler = signal -> {
            if (stop.isRequested()) {
                Runtime.getRuntime().halt(OneLineErrors.INTERRUPTED);
            }
            stop.request();
        };
        for (String name : SIGNALS) {
            Signal signal = new Signal(name);
            try {
                previous.put(signal, Signal.handle(signal, handler));
            } catch (IllegalArgumentException e) {
                // The JVM keeps this signal for itself (as with -Xrs): the run cannot be stopped by it cleanly.
            }
        }
    }

    /** Turns the signals into requests to {@code stop} until closed. */
    static InterruptSignals install(StopRequest stop) {
        return new InterruptSignals(stop);
    }

    @Override
    public void close() {
        previous.forEach(Signal::handle);
    }
}
