package io.backbeat.sdk

import backbeat.user.v1.UserOuterClass

/**
 * A signed-in session: the bearer access token sent with every call and the
 * refresh token that buys a new one when it expires. Refresh tokens rotate:
 * each refresh returns a new one and the old one stops working.
 */
data class AuthTokens(
    val accessToken: String,
    val refreshToken: String,
) {
    override fun toString(): String = "AuthTokens(accessToken=…, refreshToken=…)"

    companion object {
        /** The tokens of a Login, Register or RefreshToken response. */
        @JvmStatic
        fun of(tokens: UserOuterClass.Tokens): AuthTokens = AuthTokens(tokens.accessToken, tokens.refreshToken)
    }
}

/**
 * Where a [BackbeatClient] keeps its session. The client reads it before every
 * authenticated call and writes it after signing in, refreshing, or signing
 * out (null). On Android, implement it over encrypted storage so a session
 * outlives the process; [InMemoryTokenStore] keeps it for the client's life.
 *
 * Implementations must be safe to call from any thread.
 */
interface TokenStore {
    fun load(): AuthTokens?

    fun save(tokens: AuthTokens?)
}

/** A [TokenStore] in memory, optionally starting with [initial] tokens. */
class InMemoryTokenStore @JvmOverloads constructor(initial: AuthTokens? = null) : TokenStore {
    @Volatile
    private var tokens: AuthTokens? = initial

    override fun load(): AuthTokens? = tokens

    override fun save(tokens: AuthTokens?) {
        this.tokens = tokens
    }
}
