package dev.mixtape.bench;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A streaming POST over a plain socket, read as server-sent events: HTTP/1.1 with
 * {@code Connection: close}, the chunked body decoded and read line by line. The load bench's
 * clients share the host's cores with the server, and the JDK's {@code java.net.http} client with a
 * JSON parse per event took about a tenth of the process's CPU per token; this reads the same bytes
 * off the same socket with a fraction of that, so that the bench's figures are the server's.
 */
final class SseClient implements AutoCloseable {
    private final Socket socket;
    private final int status;
    private final BufferedReader body;

    private SseClient(Socket socket, int status, BufferedReader body) {
        this.socket = socket;
        this.status = status;
        this.body = body;
    }

    /** Sends {@code json} to {@code path} on 127.0.0.1:{@code port} and reads the answer's status line and headers. */
    static SseClient post(int port, String path, String json) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        try {
            socket.setTcpNoDelay(true);
            byte[] content = json.getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + content.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(content);
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String statusLine = asciiLine(in);
            String[] parts = statusLine.split(" ");
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP status line: " + statusLine);
            }
            boolean chunked = false;
            for (String header = asciiLine(in); !header.isEmpty(); header = asciiLine(in)) {
                chunked |= header.toLowerCase(Locale.ROOT).replace(" ", "").equals("transfer-encoding:chunked");
            }
            InputStream decoded = chunked ? new ChunkedBody(in) : in;
            return new SseClient(socket, Integer.parseInt(parts[1]), new BufferedReader(new InputStreamReader(decoded, StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** The answer's HTTP status. */
    int status() {
        return status;
    }

    /** The next line of the body, without its end; null at the end of the body. */
    String nextLine() throws IOException {
        return body.readLine();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** A header line in ASCII, without its CRLF. */
    private static String asciiLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new EOFException("the connection closed inside the answer's head");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    /** HTTP/1.1's chunked transfer coding, decoded: the chunks' bytes in order, then the end of the stream. */
    private static final class ChunkedBody extends InputStream {
        private final InputStream in;
        private long left;
        private boolean first = true;
        private boolean done;

        ChunkedBody(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (done) {
                return -1;
            }
            if (left == 0) {
                if (!first) {
                    asciiLine(in);
                }
                first = false;
                String size = asciiLine(in);
                int extension = size.indexOf(';');
                left = Long.parseLong((extension < 0 ? size : size.substring(0, extension)).trim(), 16);
                if (left == 0) {
                    done = true;
                    return -1;
                }
            }
            int read = in.read(buffer, offset, (int) Math.min(length, left));
            if (read < 0) {
                throw new EOFException("the connection closed inside a chunk");
            }
            left -= read;
            return read;
        }
    }
}
