package dev.mixtape.serve;

/**
 * A request the server answers with an error: the HTTP status and OpenAI's error object
 * ({@code {"error": {"message", "type", "param", "code"}}}).
 */
final class ApiException extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;
    /** Seconds for a {@code Retry-After} header, or 0 for none. */
    final int retryAfterSeconds;

    private ApiException(int status, String type, String param, String code, String message, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400: the request is malformed or asks for something unsupported; {@code param} names the field (or null). */
    static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, null, message, 0);
    }

    /** 400 with a code, for errors clients test for ({@code context_length_exceeded}). */
    static ApiException invalid(String param, String code, String message) {
        return new ApiException(400, "invalid_request_error", param, code, message, 0);
    }

    static ApiException unauthorized() {
        return new ApiException(401, "invalid_request_error", null, "invalid_api_key",
                "Incorrect or missing API key: send the header 'Authorization: Bearer <key>'", 0);
    }

    static ApiException notFound(String param, String code, String message) {
        return new ApiException(404, "invalid_request_error", param, code, message, 0);
    }

    static ApiException methodNotAllowed(String method, String path) {
        return new ApiException(405, "invalid_request_error", null, null, method + " is not supported on " + path, 0);
    }

    static ApiException tooLarge(long limit) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large",
                "the request body exceeds the server's limit of " + limit + " bytes", 0);
    }

    static ApiException busy(String message) {
        return new ApiException(429, "rate_limit_error", null, "rate_limit_exceeded", message, 1);
    }

    static ApiException timeout(String message) {
        return new ApiException(504, "timeout_error", null, "timeout", message, 0);
    }

    static ApiException internal(String message) {
        return new ApiException(500, "server_error", null, null, message, 0);
    }
}
