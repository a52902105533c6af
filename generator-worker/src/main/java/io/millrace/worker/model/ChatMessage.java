package io.millrace.worker.model;

/** One chat turn as the chat template sees it ({@code message['role']}, {@code message['content']}). */
public record ChatMessage(String role, String content) {}
