package io.backbeat.sdk

import backbeat.catalog.v1.CatalogServiceClient
import backbeat.catalog.v1.CatalogServiceClientInterface
import backbeat.library.v1.LibraryServiceClient
import backbeat.library.v1.LibraryServiceClientInterface
import backbeat.playback.v1.Playback
import backbeat.playback.v1.PlaybackServiceClient
import backbeat.playback.v1.PlaybackServiceClientInterface
import backbeat.playback.v1.playbackContext
import backbeat.playback.v1.startPlaybackRequest
import backbeat.playlist.v1.PlaylistServiceClient
import backbeat.playlist.v1.PlaylistServiceClientInterface
import backbeat.user.v1.UserOuterClass
import backbeat.user.v1.UserServiceClient
import backbeat.user.v1.UserServiceClientInterface
import backbeat.user.v1.changePasswordRequest
import backbeat.user.v1.disableUserRequest
import backbeat.user.v1.enableUserRequest
import backbeat.user.v1.endUserSessionsRequest
import backbeat.user.v1.loginRequest
import backbeat.user.v1.logoutEverywhereRequest
import backbeat.user.v1.logoutRequest
import backbeat.user.v1.refreshTokenRequest
import backbeat.user.v1.registerRequest
import com.connectrpc.Code
import com.connectrpc.ProtocolClientConfig
import com.connectrpc.ProtocolClientInterface
import com.connectrpc.ResponseMessage
import com.connectrpc.extensions.GoogleJavaLiteProtobufStrategy
import com.connectrpc.impl.ProtocolClient
import com.connectrpc.okhttp.ConnectOkHttpClient
import com.connectrpc.protocols.NetworkProtocol
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import okhttp3.OkHttpClient
import java.io.Closeable
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

/** The wire protocol a [BackbeatClient] speaks; the server answers all three. */
enum class Protocol(internal val network: NetworkProtocol) {
    /** Connect over HTTP/1.1 or HTTP/2: plain POSTs, readable errors. The default. */
    CONNECT(NetworkProtocol.CONNECT),

    /** gRPC: always HTTP/2 (cleartext h2c with prior knowledge for http:// URLs). */
    GRPC(NetworkProtocol.GRPC),

    /** gRPC-Web over HTTP/1.1 or HTTP/2. */
    GRPC_WEB(NetworkProtocol.GRPC_WEB),
}

/**
 * A Backbeat API client: the four generated service clients sharing one
 * OkHttp client and one session.
 *
 * ```
 * val backbeat = BackbeatClient.create("https://api.example.com")
 * backbeat.login("demo", "backbeat-demo")
 * val hits = backbeat.catalog.search(searchRequest { query = "lodz" }).orThrow()
 * ```
 *
 * Every call but Login, Register and RefreshToken carries the stored access
 * token; when the server says it expired, the client exchanges the refresh
 * token once and retries (see [TokenStore]). Generated methods return
 * connect-kotlin's `ResponseMessage`: `orThrow()` turns a failure into a typed
 * [BackbeatException].
 */
class BackbeatClient private constructor(
    /** The session; shared by every call of this client. */
    val tokens: TokenStore,
    /** The protocol client the service clients use, for calls this class does not wrap. */
    val protocolClient: ProtocolClientInterface,
    private val refresher: TokenRefresher,
    private val scope: CoroutineScope,
) : Closeable {
    val users: UserServiceClientInterface = UserServiceClient(protocolClient)
    val catalog: CatalogServiceClientInterface = CatalogServiceClient(protocolClient)
    val playlists: PlaylistServiceClientInterface = PlaylistServiceClient(protocolClient)
    val playback: PlaybackServiceClientInterface = PlaybackServiceClient(protocolClient)

    /** The caller's saved tracks ("Liked Songs") and albums; see [savedTracks]. */
    val library: LibraryServiceClientInterface = LibraryServiceClient(protocolClient)

    /** How many times this client exchanged its refresh token. */
    val refreshCount: Int get() = refresher.refreshes.get()

    /** Whether the client holds a session. */
    val isSignedIn: Boolean get() = tokens.load() != null

    /** Signs in with a username or email and a password, and keeps the session. */
    suspend fun login(login: String, password: String): UserOuterClass.LoginResponse {
        val response = users.login(
            loginRequest {
                this.login = login
                this.password = password
            },
        ).orThrow()
        tokens.save(AuthTokens.of(response.tokens))
        return response
    }

    /** Creates a listener account, signs it in, and keeps the session. */
    suspend fun register(
        username: String,
        email: String,
        password: String,
        displayName: String = "",
    ): UserOuterClass.RegisterResponse {
        val response = users.register(
            registerRequest {
                this.username = username
                this.email = email
                this.password = password
                this.displayName = displayName
            },
        ).orThrow()
        tokens.save(AuthTokens.of(response.tokens))
        return response
    }

    /**
     * Revokes the session's refresh token on the server and forgets the
     * session. Safe with an expired access token: the refresh that Logout then
     * needs is done here, so that the refresh token revoked is the live one.
     */
    suspend fun logout() {
        val session = tokens.load() ?: return
        tokens.save(null)
        var current = session
        var result = revoke(current)
        if (result is ResponseMessage.Failure && result.cause.code == Code.UNAUTHENTICATED) {
            val refreshed = users.refreshToken(refreshTokenRequest { refreshToken = current.refreshToken })
            if (refreshed is ResponseMessage.Success) {
                current = AuthTokens.of(refreshed.message.tokens)
                result = revoke(current)
            } else {
                return // the refresh token no longer works: nothing left to revoke
            }
        }
        result.orThrow()
    }

    /**
     * Changes the password (the current one is required). Every session of the
     * account ends, this client's included; the fresh tokens the server
     * returns are kept, so this client stays signed in.
     */
    suspend fun changePassword(currentPassword: String, newPassword: String): UserOuterClass.ChangePasswordResponse {
        val response = users.changePassword(
            changePasswordRequest {
                this.currentPassword = currentPassword
                this.newPassword = newPassword
            },
        ).orThrow()
        tokens.save(AuthTokens.of(response.tokens))
        return response
    }

    /**
     * Ends every session of the account on the server, then forgets the
     * session. Only a call that worked signs out locally: on failure the
     * sessions are still alive, and the exception says so.
     */
    suspend fun logoutEverywhere() {
        users.logoutEverywhere(logoutEverywhereRequest {}).orThrow()
        tokens.save(null)
    }

    /** Admins: disables an account and ends its sessions; it can no longer sign in. */
    suspend fun disableUser(userId: String): UserOuterClass.User =
        users.disableUser(disableUserRequest { this.userId = userId }).orThrow().user

    /** Admins: lets a disabled account sign in again. */
    suspend fun enableUser(userId: String): UserOuterClass.User =
        users.enableUser(enableUserRequest { this.userId = userId }).orThrow().user

    /** Admins: ends every session of another account. */
    suspend fun endUserSessions(userId: String) {
        users.endUserSessions(endUserSessionsRequest { this.userId = userId }).orThrow()
    }

    /** Plays a playlist: its track at [index] (or [trackId], which must be in it), in the playlist's context. */
    suspend fun playPlaylist(
        playlistId: String,
        index: Int = 0,
        trackId: String = "",
        deviceId: String = "",
    ): Playback.StartPlaybackResponse = startIn(playbackContext { this.playlistId = playlistId }, index, trackId, deviceId)

    /** Plays an album: its track at [index] (or [trackId], which must be on it), in the album's context. */
    suspend fun playAlbum(
        albumId: String,
        index: Int = 0,
        trackId: String = "",
        deviceId: String = "",
    ): Playback.StartPlaybackResponse = startIn(playbackContext { this.albumId = albumId }, index, trackId, deviceId)

    private suspend fun startIn(context: Playback.PlaybackContext, index: Int, trackId: String, deviceId: String) =
        playback.startPlayback(startPlaybackRequest {
            this.context = context
            contextIndex = index
            this.trackId = trackId
            this.deviceId = deviceId
        }).orThrow()

    private suspend fun revoke(session: AuthTokens) = users.logout(
        logoutRequest { refreshToken = session.refreshToken },
        // An explicit header: the client adds none and does not refresh.
        mapOf("authorization" to listOf("Bearer ${session.accessToken}")),
    )

    /** Stops the background work of token refreshes; the OkHttp client is the caller's. */
    override fun close() {
        scope.cancel()
    }

    companion object {
        /**
         * A client for the Backbeat server at [baseUrl] (e.g.
         * "https://api.example.com" or "http://127.0.0.1:8080").
         *
         * @param protocol Connect (default), gRPC or gRPC-Web.
         * @param tokens where the session lives; pass a persistent one on Android.
         * @param okHttpClient a client to share (connection pool, TLS, proxies,
         *   logging); its read/write timeouts are replaced by [timeout].
         * @param timeout the deadline of each call, refresh and retry included.
         * @param http2PriorKnowledge speak HTTP/2 without negotiation (h2c) —
         *   the only way to HTTP/2 over http://. Default: for gRPC on http://.
         */
        @JvmStatic
        @JvmOverloads
        fun create(
            baseUrl: String,
            protocol: Protocol = Protocol.CONNECT,
            tokens: TokenStore = InMemoryTokenStore(),
            okHttpClient: OkHttpClient? = null,
            timeout: Duration = 30.seconds,
            http2PriorKnowledge: Boolean = protocol == Protocol.GRPC && baseUrl.startsWith("http://"),
        ): BackbeatClient {
            val builder = ConnectOkHttpClient.configureClient((okHttpClient ?: OkHttpClient()).newBuilder())
            if (http2PriorKnowledge) {
                builder.protocols(listOf(okhttp3.Protocol.H2_PRIOR_KNOWLEDGE))
            }
            val http = ConnectOkHttpClient(builder.build())
            val config = ProtocolClientConfig(
                host = baseUrl,
                serializationStrategy = GoogleJavaLiteProtobufStrategy(),
                networkProtocol = protocol.network,
                timeoutOracle = { timeout },
            )
            // Refreshes go through a client without the bearer layer.
            val refresher = TokenRefresher(UserServiceClient(ProtocolClient(http, config)), tokens)
            val scope = CoroutineScope(SupervisorJob() + Dispatchers.IO)
            val authenticated = ProtocolClient(BearerAuthHttpClient(http, tokens, refresher, scope), config)
            return BackbeatClient(tokens, authenticated, refresher, scope)
        }
    }
}
