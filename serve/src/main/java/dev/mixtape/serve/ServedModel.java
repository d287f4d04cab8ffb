package dev.mixtape.serve;

import dev.mixtape.models.llama.Llama;

import java.nio.file.Path;

/**
 * A name requests can ask for: the base model, a LoRA/MoSLoRA adapter on it, or a MoLE (experts
 * with their gates) on it.
 *
 * @param name    the name clients use ({@code model} in a request)
 * @param kind    what it is
 * @param model   the model tree its rows run through: the shared tree for the base and every
 *                adapter, a tree of its own (over the same weight tensors) for a MoLE
 * @param routed  the adapter's name inside the shared tree (rows are routed to it), or null
 * @param source  the folder it was loaded from, or null for the base
 */
public record ServedModel(String name, Kind kind, Llama model, String routed, Path source) {
    /** What a served name stands for. */
    public enum Kind {
        BASE, ADAPTER, MOLE
    }
}
