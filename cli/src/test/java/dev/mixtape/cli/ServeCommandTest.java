package dev.mixtape.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code mixtape serve}'s options: repeatable NAME=DIR adapters, loopback by default, bad values refused before loading. */
class ServeCommandTest {
    @Test
    void adaptersAndMolesAreNamedFoldersAndTheServerListensOnLoopbackByDefault() {
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs("--model", "m", "--adapter", "a=dir/a", "--adapter", "b=dir/b", "--mole", "c=dir/c");
        assertEquals(Map.of("a", Path.of("dir/a"), "b", Path.of("dir/b")), command.adapters);
        assertEquals(Map.of("c", Path.of("dir/c")), command.moles);
        assertEquals("127.0.0.1", command.host);
        assertEquals(8080, command.port);
        assertEquals(64, command.productRows);
    }

    @Test
    void badValuesAreRefusedWithAMessageNamingTheOption() {
        ServeCommand weights = new ServeCommand();
        new CommandLine(weights).parseArgs("--model", "m", "--weights", "f16");
        assertTrue(assertThrows(IllegalArgumentException.class, weights::call).getMessage().contains("--weights"));
        ServeCommand timeout = new ServeCommand();
        new CommandLine(timeout).parseArgs("--model", "m", "--timeout", "-1");
        assertTrue(assertThrows(IllegalArgumentException.class, timeout::call).getMessage().contains("--timeout"));
        ServeCommand batch = new ServeCommand();
        new CommandLine(batch).parseArgs("--model", "m", "--max-batch", "8", "--max-concurrent", "4");
        assertTrue(assertThrows(IllegalArgumentException.class, batch::call).getMessage().contains("max concurrent"));
    }
}
