package io.backbeat.sdk

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.runBlocking
import okhttp3.Interceptor
import okhttp3.OkHttpClient
import java.util.Collections
import java.util.UUID

/** The server the tests run against: started by clients/with-server.sh, which sets BACKBEAT_URL. */
object LiveServer {
    const val LISTENER = "demo"
    const val ARTIST = "demo-artist"
    const val PASSWORD = "backbeat-demo"

    val url: String by lazy {
        System.getenv("BACKBEAT_URL")?.takeIf { it.isNotBlank() }
            ?: error("BACKBEAT_URL is not set: run the tests with `bash clients/kotlin/test.sh`")
    }

    fun client(
        protocol: Protocol = Protocol.CONNECT,
        tokens: TokenStore = InMemoryTokenStore(),
        okHttpClient: OkHttpClient? = null,
    ): BackbeatClient = BackbeatClient.create(url, protocol, tokens, okHttpClient)

    /** Runs a test body in a coroutine; returns Unit, as JUnit wants of a test method. */
    fun liveTest(block: suspend CoroutineScope.() -> Unit) {
        runBlocking(block = block)
    }

    fun uniqueName(prefix: String): String = prefix + UUID.randomUUID().toString().replace("-", "").take(12)
}

/** Records what went over the wire: each request's path, Authorization header and HTTP version. */
class WireLog : Interceptor {
    data class Exchange(val path: String, val authorization: String?, val protocol: okhttp3.Protocol?, val status: Int)

    val exchanges: MutableList<Exchange> = Collections.synchronizedList(mutableListOf())

    override fun intercept(chain: Interceptor.Chain): okhttp3.Response {
        val request = chain.request()
        val response = chain.proceed(request)
        exchanges += Exchange(
            request.url.encodedPath.removePrefix("/"),
            request.header("Authorization"),
            chain.connection()?.protocol(),
            response.code,
        )
        return response
    }

    fun okHttp(): OkHttpClient = OkHttpClient.Builder().addNetworkInterceptor(this).build()
}
