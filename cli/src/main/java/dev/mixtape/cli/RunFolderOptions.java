package dev.mixtape.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Where a training command writes its run and what becomes of what is there, the same in
 * {@code finetune}, {@code compose} and {@code pretrain}: {@code --out}, {@code --resume},
 * {@code --overwrite} ({@link OutputFolder} enforces them).
 */
final class RunFolderOptions {
    @Option(names = "--out", paramLabel = "FOLDER", description = "The run folder, empty or new (default: under runs/, named after the run and the time).")
    Path out;

    @Option(names = "--resume", description = "Continue the run in --out, interrupted or finished, from its checkpoint; give the same options as the first run.")
    boolean resume;

    @Option(names = "--overwrite", description = "Delete what --out holds and start a new run there.")
    boolean overwrite;

    /** The run folder: {@code --out}, or {@code fallback}; {@code --resume} without {@code --out} is refused. */
    Path folder(Path fallback) {
        if (resume && out == null) {
            throw new IllegalArgumentException("--resume needs --out, the folder of the run to continue");
        }
        return out != null ? out : fallback;
    }
}
