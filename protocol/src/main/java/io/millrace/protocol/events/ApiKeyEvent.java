package io.millrace.protocol.events;

/**
 * An API key on {@code millrace.api-keys}, keyed by key id; compacted, so the latest event per key
 * id is the key's state. The key itself is never stored: only {@code hash}, the SHA-256 of its
 * secret part, so a copy of the topic cannot be used to call the API.
 *
 * @param keyId     public id of the key ({@code key_…}), shown by {@code millrace keys list}
 * @param tenant    whom the key acts for: everything created with it belongs to this tenant
 * @param hash      hex SHA-256 of the key's secret
 * @param rpm       requests per minute allowed, 0 for no limit
 * @param tpm       tokens per minute allowed (prompt estimate plus max tokens), 0 for no limit
 * @param createdAt epoch milliseconds
 * @param revokedAt epoch milliseconds when revoked, or null; a revoked key is refused (401)
 */
public record ApiKeyEvent(String keyId, String tenant, String hash, long rpm, long tpm, long createdAt, Long revokedAt) {
    public boolean revoked() {
        return revokedAt != null;
    }

    public ApiKeyEvent revoke(long at) {
        return revoked() ? this : new ApiKeyEvent(keyId, tenant, hash, rpm, tpm, createdAt, at);
    }
}
