package dev.mixtape.spark;

import dev.mixtape.engine.Backends;
import dev.mixtape.engine.DType;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.llama.NonFiniteWeights;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the frozen base model is and how to load it: what every executor needs to load the same model
 * as the driver, and the key under which it keeps its copy ({@link ExecutorModels}). The path must be
 * readable on every executor (a shared disk, or the same path on each machine).
 *
 * @param path      the model's checkpoint (HF folder, GGUF or llama2.c file)
 * @param backend   the backend's name ({@link Backends#create})
 * @param weights   the type the weight matrices are kept in; {@link Llama#AS_STORED} (null): as the file stores them
 * @param nonFinite what loading does with weights holding NaN or ±Inf
 */
public record BaseModel(String path, String backend, DType weights, NonFiniteWeights nonFinite) implements Serializable {

    public BaseModel {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(nonFinite, "nonFinite");
    }

    /** The model at {@code path} on the vector backend, its weights as the file stores them, refusing non-finite ones. */
    public static BaseModel at(Path path) {
        return new BaseModel(path.toString(), "vector", Llama.AS_STORED, NonFiniteWeights.REFUSE);
    }

    /** A fresh copy of the model, on a new backend of its own. */
    public Llama load() throws IOException {
        return Llama.load(Path.of(path), Backends.create(backend), weights, nonFinite);
    }
}
