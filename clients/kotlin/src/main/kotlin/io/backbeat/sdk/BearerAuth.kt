package io.backbeat.sdk

import backbeat.user.v1.UserServiceClientInterface
import backbeat.user.v1.refreshTokenRequest
import com.connectrpc.Code
import com.connectrpc.ConnectException
import com.connectrpc.ResponseMessage
import com.connectrpc.StreamResult
import com.connectrpc.http.Cancelable
import com.connectrpc.http.HTTPClientInterface
import com.connectrpc.http.HTTPRequest
import com.connectrpc.http.HTTPResponse
import com.connectrpc.http.Stream
import com.connectrpc.http.UnaryHTTPRequest
import com.connectrpc.http.clone
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import okio.Buffer
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicInteger

/**
 * Exchanges the stored refresh token for new tokens, one exchange at a time:
 * calls that fail together with the same expired access token share one
 * RefreshToken call (refresh tokens rotate, so a second exchange of the same
 * one would fail and end the session).
 */
internal class TokenRefresher(
    private val users: UserServiceClientInterface,
    private val store: TokenStore,
) {
    private val mutex = Mutex()
    val refreshes = AtomicInteger()

    /**
     * Returns an access token to retry with after the server refused
     * [rejected], or null when there is none: no refresh token, or the server
     * refused it (the session is over; the store is cleared). Other failures
     * (network, server) leave the store alone and also return null.
     */
    suspend fun refreshAfter(rejected: String?): String? = mutex.withLock {
        val current = store.load() ?: return null
        if (current.accessToken != rejected) {
            // Another call refreshed (or someone signed in) meanwhile.
            return current.accessToken
        }
        refreshes.incrementAndGet()
        when (val response = users.refreshToken(refreshTokenRequest { refreshToken = current.refreshToken })) {
            is ResponseMessage.Success -> {
                val fresh = AuthTokens.of(response.message.tokens)
                store.save(fresh)
                fresh.accessToken
            }
            is ResponseMessage.Failure -> {
                if (response.cause.code == Code.UNAUTHENTICATED && store.load() == current) {
                    store.save(null)
                }
                null
            }
        }
    }
}

/**
 * The bearer-token interceptor. It wraps the HTTP client under
 * connect-kotlin's protocol layer (whose interceptors cannot re-send a
 * request): every call but the public ones (Login, Register, RefreshToken)
 * carries `Authorization: Bearer <access token>` from the [TokenStore], and a
 * unary call the server answers with `unauthenticated` (HTTP 401 in the
 * Connect protocol, grpc-status 16 in gRPC and gRPC-Web) is retried once
 * after the [TokenRefresher] got a new access token. A call that sets its own
 * Authorization header is left alone.
 */
internal class BearerAuthHttpClient(
    private val delegate: HTTPClientInterface,
    private val store: TokenStore,
    private val refresher: TokenRefresher,
    private val scope: CoroutineScope,
) : HTTPClientInterface {

    override fun unary(request: UnaryHTTPRequest, onResult: (HTTPResponse) -> Unit): Cancelable {
        if (request.methodSpec.path in PUBLIC_PROCEDURES || hasAuthorization(request.headers)) {
            return delegate.unary(request, onResult)
        }
        return RefreshingCall(request, onResult).start()
    }

    override fun stream(
        request: HTTPRequest,
        duplex: Boolean,
        onResult: suspend (StreamResult<Buffer>) -> Unit,
    ): Stream {
        // Streams cannot be replayed, so they only get the current token.
        val token = store.load()?.accessToken
        if (token == null || hasAuthorization(request.headers)) {
            return delegate.stream(request, duplex, onResult)
        }
        return delegate.stream(request.clone(headers = withBearer(request.headers, token)), duplex, onResult)
    }

    private inner class RefreshingCall(
        private val request: UnaryHTTPRequest,
        private val onResult: (HTTPResponse) -> Unit,
    ) {
        private val finished = AtomicBoolean(false)
        private val canceled = AtomicBoolean(false)

        @Volatile
        private var inFlight: Cancelable? = null

        @Volatile
        private var refresh: Job? = null

        fun start(): Cancelable {
            val sent = store.load()?.accessToken
            inFlight = delegate.unary(authorized(sent)) { response ->
                if (canceled.get() || !isUnauthenticated(response) || store.load() == null) {
                    finish(response)
                } else {
                    refreshAndRetry(sent, response)
                }
            }
            return ::cancel
        }

        private fun refreshAndRetry(rejected: String?, rejection: HTTPResponse) {
            val job = scope.launch {
                val fresh = try {
                    refresher.refreshAfter(rejected)
                } catch (e: CancellationException) {
                    throw e
                } catch (e: Exception) {
                    null
                }
                when {
                    canceled.get() -> finish(canceledResponse())
                    fresh == null -> finish(rejection)
                    else -> {
                        inFlight = delegate.unary(authorized(fresh), ::finish)
                        if (canceled.get()) inFlight?.invoke()
                    }
                }
            }
            // Covers a job canceled before or while it ran, the client closed included.
            job.invokeOnCompletion { cause ->
                if (cause != null) finish(if (canceled.get()) canceledResponse() else rejection)
            }
            refresh = job
        }

        private fun authorized(token: String?): UnaryHTTPRequest =
            if (token == null) request else request.clone(headers = withBearer(request.headers, token))

        private fun finish(response: HTTPResponse) {
            if (finished.compareAndSet(false, true)) onResult(response)
        }

        private fun cancel() {
            if (!canceled.compareAndSet(false, true)) return
            inFlight?.invoke()
            refresh?.cancel()
        }
    }

    private fun canceledResponse() = HTTPResponse(
        status = null,
        headers = emptyMap(),
        message = Buffer(),
        trailers = emptyMap(),
        cause = ConnectException(Code.CANCELED, "canceled while refreshing the access token"),
    )

    companion object {
        /** Procedures the server serves without a token: how one gets one. */
        val PUBLIC_PROCEDURES = setOf(
            "backbeat.user.v1.UserService/Login",
            "backbeat.user.v1.UserService/Register",
            "backbeat.user.v1.UserService/RefreshToken",
        )

        private const val UNAUTHENTICATED_GRPC = "16"

        fun hasAuthorization(headers: Map<String, List<String>>): Boolean =
            headers.keys.any { it.equals("authorization", ignoreCase = true) }

        fun withBearer(headers: Map<String, List<String>>, token: String): Map<String, List<String>> =
            headers + ("authorization" to listOf("Bearer $token"))

        /** Whether the server answered `unauthenticated`, in any of the three protocols. */
        fun isUnauthenticated(response: HTTPResponse): Boolean {
            val status = response.status ?: return false
            if (status == 401) return true // Connect unary
            return grpcStatus(response.trailers) == UNAUTHENTICATED_GRPC ||
                grpcStatus(response.headers) == UNAUTHENTICATED_GRPC || // trailers-only responses
                grpcWebStatus(response) == UNAUTHENTICATED_GRPC
        }

        private fun grpcStatus(headers: Map<String, List<String>>): String? =
            headers.entries.firstOrNull { it.key.equals("grpc-status", ignoreCase = true) }
                ?.value?.firstOrNull()?.trim()

        // gRPC-Web sends trailers as the body's last frame: flag 0x80, a
        // 4-byte length, then "key: value\r\n" lines.
        private fun grpcWebStatus(response: HTTPResponse): String? {
            val contentType = response.headers["content-type"]?.firstOrNull() ?: return null
            if (!contentType.startsWith("application/grpc-web")) return null
            val body = response.message.peek()
            while (body.request(5)) {
                val flags = body.readByte().toInt() and 0xff
                val length = body.readInt().toLong() and 0xffffffffL
                if (!body.request(length)) return null
                if (flags and 0x80 == 0) {
                    body.skip(length)
                    continue
                }
                return body.readUtf8(length).lineSequence()
                    .map { it.trim() }
                    .firstOrNull { it.startsWith("grpc-status:", ignoreCase = true) }
                    ?.substringAfter(':')?.trim()
            }
            return null
        }
    }
}
