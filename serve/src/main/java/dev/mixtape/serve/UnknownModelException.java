package dev.mixtape.serve;

/** A request named a model that is neither the base nor a served adapter. */
public final class UnknownModelException extends RuntimeException {
    public UnknownModelException(String name, Iterable<String> served) {
        super("the model '" + name + "' does not exist; served: " + String.join(", ", served));
    }
}
