package dev.mixtape.serve;

import dev.mixtape.models.generate.Sampler;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.StreamingDecoder;


/**
 * One request inside the {@link BatchEngine}: its session (KV cache and position), sampler, text
 * decoder and stop sequences, and the token to feed at the next step. Decodes exactly as
 * {@link dev.mixtape.models.generate.Generator} does, one step at a time. Touched by the engine's
 * thread only, except {@link #cancel}.
 */
final class Sequence implements RunningRequest {
    final GenerationRequest request;
    final ServedModel served;
    private final TokenListener listener;
    private final Runnable release;
    private final int eos;
    private final int bos;
    private final long deadline;
    private Llama.Session session;
    private Sampler sampler;
    private StreamingDecoder decoder;
    private StopTexts stops;
    private int capacity;
    private int generated;
    private int nextToken;
    private volatile boolean cancelled;
    private volatile boolean ended;

    /** {@code release} runs once when it ends, before the listener hears of it: the engine's place is free by then. */
    Sequence(GenerationRequest request, ServedModel served, TokenListener listener, Runnable release, int eos, int bos) {
        this.request = request;
        this.served = served;
        this.listener = listener;
        this.release = release;
        this.eos = eos;
        this.bos = bos;
        this.deadline = request.timeout() == null ? Long.MAX_VALUE : System.nanoTime() + request.timeout().toNanos();
    }

    @Override
    public void cancel() {
        cancelled = true;
    }

    @Override
    public boolean isDone() {
        return ended;
    }

    /** Cancelled or past its deadline: ends it (telling the listener) and returns true. */
    boolean endedByClientOrClock() {
        if (cancelled) {
            end(FinishReason.CANCELLED);
            return true;
        }
        if (System.nanoTime() > deadline) {
            end(FinishReason.TIMEOUT);
            return true;
        }
        return false;
    }

    /**
     * Makes this sequence's session on {@code model} for its prompt, which {@link #advance} then
     * takes the first token after; returns false, having ended it, when it asks for no tokens.
     */
    boolean open(Llama model, StreamingDecoder newDecoder) {
        int[] prompt = request.promptIds();
        int maxPositions = model.config().maxPositions();
        if (prompt.length >= maxPositions) {
            throw new IllegalArgumentException("the prompt's " + prompt.length + " tokens leave no room in the model's "
                    + maxPositions + " positions");
        }
        if (request.maxTokens() == 0) {
            end(FinishReason.LENGTH);
            return false;
        }
        capacity = (int) Math.min(maxPositions, (long) prompt.length + request.maxTokens());
        sampler = new Sampler(request.sampling());
        decoder = newDecoder;
        for (int id : prompt) {
            decoder.next(id);
        }
        stops = new StopTexts(request.stop());
        session = model.newSession(capacity);
        return true;
    }

    /** The prompt's token ids. */
    int[] prompt() {
        return request.promptIds();
    }

    Llama.Session session() {
        return session;
    }

    /** The token the next step feeds. */
    int nextToken() {
        return nextToken;
    }

    /** Takes the next token from {@code logits}; returns whether the sequence goes on decoding. */
    boolean advance(float[] logits) {
        int next = sampler.next(logits);
        if (next == eos || next == bos) {
            end(FinishReason.STOP);
            return false;
        }
        generated++;
        send(stops.add(decoder.next(next)));
        if (stops.stopped()) {
            end(FinishReason.STOP);
            return false;
        }
        if (generated == request.maxTokens() || session.position() == capacity) {
            end(FinishReason.LENGTH);
            return false;
        }
        nextToken = next;
        return true;
    }

    /** Ends it: the text held back is sent (unless a stop sequence turns up in it), then the listener hears why. */
    void end(FinishReason reason) {
        if (ended) {
            return;
        }
        FinishReason finish = reason;
        if (decoder != null && (reason == FinishReason.STOP || reason == FinishReason.LENGTH)) {
            String tail = stops.add(decoder.finish());
            if (stops.stopped()) {
                finish = FinishReason.STOP;
                send(tail);
            } else {
                send(tail + stops.finish());
            }
        }
        ended = true;
        release.run();
        String text = stops == null ? "" : stops.text();
        try {
            listener.onFinish(new Completion(finish, request.promptIds().length, generated, text));
        } catch (RuntimeException ignored) {
            // The listener's failure is its own: the generation has ended either way.
        }
    }

    /** Ends it with {@code error}. */
    void fail(RuntimeException error) {
        if (ended) {
            return;
        }
        ended = true;
        release.run();
        try {
            listener.onError(error);
        } catch (RuntimeException ignored) {
            // As in end: nothing more to tell.
        }
    }

    private void send(String text) {
        if (text.isEmpty()) {
            return;
        }
        try {
            listener.onText(text);
        } catch (RuntimeException e) {
            cancelled = true;
        }
    }
}
