package dev.mixtape.spark;

/**
 * A record an executor could not read or tokenise, its message one line naming the file and line; the
 * driver reports it as it is ({@link ExecutorDataset}).
 */
final class DataReadException extends RuntimeException {
    DataReadException(String message) {
        super(message);
    }
}
