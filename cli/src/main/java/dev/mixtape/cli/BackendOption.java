package dev.mixtape.cli;

import picocli.CommandLine.Option;

/** {@code --backend}: which tensor backend computes. */
final class BackendOption {
    @Option(names = "--backend", defaultValue = "vector", description = "vector (default: pure Java, the Vector API) or nd4j.")
    String name;
}
