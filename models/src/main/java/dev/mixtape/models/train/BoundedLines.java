package dev.mixtape.models.train;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The lines of a UTF-8 text file read one at a time, each at most a given number of bytes: a line
 * longer than that (a file of one huge line, or not a line-oriented file at all) is refused naming the
 * file and the line as soon as the limit is passed, so that memory stays bounded whatever the file
 * holds. Lines end at {@code \n}, a {@code \r} before it dropped; each is decoded on its own, so that
 * bytes that are not UTF-8 are refused naming the very line they are on.
 */
final class BoundedLines implements Closeable {
    private final Path file;
    private final InputStream in;
    private final int maxBytes;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final byte[] buffer = new byte[1 << 16];
    private int position;
    private int filled;
    private int number;

    BoundedLines(Path file, int maxBytes) throws IOException {
        this.file = file;
        this.in = Files.newInputStream(file);
        this.maxBytes = maxBytes;
    }

    /** The next line, or null at the end of the file. */
    String next() throws IOException {
        line.reset();
        number++;
        while (true) {
            if (position == filled) {
                filled = Math.max(0, in.read(buffer));
                position = 0;
                if (filled == 0) {
                    return line.size() == 0 ? null : decoded();
                }
            }
            int end = position;
            while (end < filled && buffer[end] != '\n') {
                end++;
            }
            if (line.size() + (end - position) > maxBytes) {
                throw new IOException(file + ":" + number + ": the line is longer than " + maxBytes
                        + " bytes (not a JSON Lines file, or a record too large to train on)");
            }
            line.write(buffer, position, end - position);
            position = end;
            if (end < filled) {
                position++;
                return decoded();
            }
        }
    }

    private String decoded() throws IOException {
        byte[] bytes = line.toByteArray();
        int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        try {
            return decoder.decode(ByteBuffer.wrap(bytes, 0, length)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(file + ":" + number + ": not UTF-8 text", e);
        }
    }

    /** The 1-based number of the line {@link #next} returned last. */
    int number() {
        return number;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
