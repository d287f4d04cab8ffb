package dev.mixtape.serve;

/** One message of a chat: {@code role} (system, user, assistant, ...) and its text. */
public record ChatMessage(String role, String content) {
}
