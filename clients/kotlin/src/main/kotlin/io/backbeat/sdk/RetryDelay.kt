package io.backbeat.sdk

import com.connectrpc.Code
import com.connectrpc.ConnectException
import com.google.protobuf.CodedInputStream
import java.time.Duration

private const val RETRY_INFO = "google.rpc.RetryInfo"

/**
 * The delay a refusal by Backbeat's rate limits (resource_exhausted) or load
 * shedding (unavailable) asks the client to wait before trying again, from
 * its google.rpc.RetryInfo error detail; null for any other failure or one
 * without the detail. Takes a [BackbeatException] or the [ConnectException]
 * under it:
 *
 * ```
 * try { backbeat.login(name, password) }
 * catch (e: BackbeatException) { retryDelay(e)?.let { delay(it.toMillis()); retry() } }
 * ```
 */
fun retryDelay(e: Throwable): Duration? {
    val connect = generateSequence(e) { it.cause }.filterIsInstance<ConnectException>().firstOrNull() ?: return null
    if (connect.code != Code.RESOURCE_EXHAUSTED && connect.code != Code.UNAVAILABLE) return null
    return connect.details
        // The Connect protocol names the type; gRPC's parser keeps the type URL.
        .filter { it.type == RETRY_INFO || it.type.endsWith("/$RETRY_INFO") }
        .firstNotNullOfOrNull { runCatching { parseRetryInfo(it.payload.toByteArray()) }.getOrNull() }
}

// google.rpc.RetryInfo { google.protobuf.Duration retry_delay = 1; }
// google.protobuf.Duration { int64 seconds = 1; int32 nanos = 2; }
// Read by hand, like BadRequest: the lite runtime has no class for it.
private fun parseRetryInfo(bytes: ByteArray): Duration? {
    val input = CodedInputStream.newInstance(bytes)
    while (true) {
        val tag = input.readTag()
        if (tag == 0) return null
        if (tag == (1 shl 3) or 2) return parseDuration(input.readByteArray())
        if (!input.skipField(tag)) return null
    }
}

private fun parseDuration(bytes: ByteArray): Duration {
    var seconds = 0L
    var nanos = 0
    val input = CodedInputStream.newInstance(bytes)
    while (true) {
        val tag = input.readTag()
        if (tag == 0) break
        when (tag) {
            (1 shl 3) -> seconds = input.readInt64()
            (2 shl 3) -> nanos = input.readInt32()
            else -> if (!input.skipField(tag)) break
        }
    }
    return Duration.ofSeconds(seconds, nanos.toLong())
}
