package dev.mixtape.cli;

import dev.mixtape.engine.io.AtomicFile;
import dev.mixtape.models.train.TrainingJob;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.stream.Stream;

/**
 * The folder a command writes into ({@code --out}), and what may become of what it already holds.
 * Nothing a user made is replaced unasked: a new result needs an empty or absent folder (temporary
 * files that a killed write left count as nothing); {@code --resume} continues the run in it;
 * {@code --overwrite} deletes what it holds first, so that no file of the old contents survives. A
 * folder that holds one of the command's inputs (the base model's own folder, say) is refused even
 * with {@code --overwrite}. {@link #check} runs before any work and refuses in one line naming the
 * folder; {@link #prepare} empties it only once the inputs are loaded, so that a command that fails
 * on its inputs deletes nothing.
 */
final class OutputFolder {
    /** Where a run's checkpoint is in a folder that holds one (a fine-tuning's, a pretraining's), for the messages. */
    private static final List<Path> RUN_MARKERS = List.of(Path.of(TrainingJob.CHECKPOINT), Path.of(PretrainCommand.TRAINING_FOLDER, TrainingJob.CHECKPOINT));

    /**
     * A file or folder the command reads.
     *
     * @param option the option that names it
     * @param path   the path, or null when the option was not given
     */
    record Input(String option, Path path) {
    }

    private final Path folder;
    private final boolean overwrite;

    private OutputFolder(Path folder, boolean overwrite) {
        this.folder = folder;
        this.overwrite = overwrite;
    }

    /**
     * Checks that the command may write into {@code folder}.
     *
     * @param resume    {@code --resume} was given (null: the command has no such option)
     * @param overwrite {@code --overwrite} was given
     * @param inputs    the files and folders the command reads
     */
    static OutputFolder check(Path folder, Boolean resume, boolean overwrite, List<Input> inputs) throws IOException {
        boolean resuming = Boolean.TRUE.equals(resume);
        if (resuming && overwrite) {
            throw new IllegalArgumentException("give --resume or --overwrite, not both");
        }
        if (Files.exists(folder) && !Files.isDirectory(folder)) {
            throw new IllegalArgumentException(folder + " is a file, not a folder; choose another --out");
        }
        if (resuming || isEmpty(folder)) {
            return new OutputFolder(folder, false);
        }
        Path absolute = folder.toAbsolutePath().normalize();
        for (Input input : inputs) {
            Path path = input.path() == null ? null : input.path().toAbsolutePath().normalize();
            if (path != null && path.startsWith(absolute)) {
                throw new IllegalArgumentException(folder + (path.equals(absolute) ? " is the " + input.option() + " folder"
                        : " holds the " + input.option() + " " + input.path()) + ", which this command reads; choose another --out");
            }
        }
        if (Path.of("").toAbsolutePath().startsWith(absolute)) {
            throw new IllegalArgumentException(folder + " holds the working directory; choose another --out");
        }
        if (!overwrite) {
            boolean run = RUN_MARKERS.stream().anyMatch(marker -> Files.exists(folder.resolve(marker)));
            throw new IllegalArgumentException(run && resume != null
                    ? folder + " holds a run; continue it with --resume, or replace it with --overwrite"
                    : folder + " is not empty; choose another --out, or replace what it holds with --overwrite");
        }
        return new OutputFolder(folder, true);
    }

    /** Deletes what the folder holds when {@code --overwrite} asked for it (symbolic links are deleted, not followed). */
    void prepare() throws IOException {
        if (!overwrite) {
            return;
        }
        try (Stream<Path> children = Files.list(folder)) {
            for (Path child : children.toList()) {
                deleteTree(child);
            }
        }
    }

    private static boolean isEmpty(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return true;
        }
        try (Stream<Path> children = Files.list(folder)) {
            return children.allMatch(AtomicFile::isLeftover);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path directory, IOException failure) throws IOException {
                if (failure != null) {
                    throw failure;
                }
                Files.delete(directory);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
