package io.millrace.worker.model;

import io.millrace.tokenizer.ChatTemplate;

/** One chat turn as the chat template sees it ({@code message['role']}, {@code message['content']}). */
public record ChatMessage(String role, String content) implements ChatTemplate.Turn {}
