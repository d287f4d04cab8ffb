package dev.mixtape.serve;

/** Why a generation ended, with the name OpenAI's API gives it where it has one. */
public enum FinishReason {
    /** The model produced its end-of-sequence token, or the text reached a stop sequence. */
    STOP("stop"),
    /** The token budget ({@code max_tokens}) or the model's context ran out. */
    LENGTH("length"),
    /** The request was cancelled (its client went away) before it ended. */
    CANCELLED("cancelled"),
    /** The request ran past its time limit. */
    TIMEOUT("timeout");

    private final String apiName;

    FinishReason(String apiName) {
        this.apiName = apiName;
    }

    /** The {@code finish_reason} string. */
    public String apiName() {
        return apiName;
    }
}
