package io.backbeat.sdk

import com.connectrpc.Code
import com.connectrpc.ConnectException
import com.connectrpc.ResponseMessage
import com.google.protobuf.CodedInputStream

/** One invalid field of a request, from the server's google.rpc.BadRequest error detail. */
data class FieldViolation(val field: String, val description: String)

/**
 * A failed Backbeat call, typed by its Connect [code]. [message] is the
 * server's message (for invalid input it starts with the field: "username:
 * must be 3-32 characters"); [field] names the offending request field when
 * the server said which (invalid_argument only), for a form to highlight it.
 *
 * `when (e) { is BackbeatException.NotFound -> …; is BackbeatException.InvalidArgument -> … }`
 * covers the codes Backbeat uses; anything else is [Other].
 */
sealed class BackbeatException(
    val code: Code,
    message: String,
    val violations: List<FieldViolation>,
    cause: Throwable?,
) : Exception(message, cause) {
    /** The first invalid field, if the server named one. */
    val field: String? get() = violations.firstOrNull()?.field

    /** The code as the Connect protocol spells it, e.g. "invalid_argument". */
    val codeName: String get() = code.codeName

    override val message: String get() = super.message ?: ""

    override fun toString(): String =
        "BackbeatException[$codeName]: $message" + (field?.let { " (field $it)" } ?: "")

    class InvalidArgument(message: String, violations: List<FieldViolation>, cause: Throwable?) :
        BackbeatException(Code.INVALID_ARGUMENT, message, violations, cause)

    /** No, or no longer a valid, session: sign in again. */
    class Unauthenticated(message: String, cause: Throwable?) :
        BackbeatException(Code.UNAUTHENTICATED, message, emptyList(), cause)

    class PermissionDenied(message: String, cause: Throwable?) :
        BackbeatException(Code.PERMISSION_DENIED, message, emptyList(), cause)

    /** Also what another user's private playlist looks like: it does not exist for you. */
    class NotFound(message: String, cause: Throwable?) :
        BackbeatException(Code.NOT_FOUND, message, emptyList(), cause)

    class AlreadyExists(message: String, cause: Throwable?) :
        BackbeatException(Code.ALREADY_EXISTS, message, emptyList(), cause)

    class FailedPrecondition(message: String, cause: Throwable?) :
        BackbeatException(Code.FAILED_PRECONDITION, message, emptyList(), cause)

    /** Worth retrying later: the server or the network is not available now. */
    class Unavailable(message: String, cause: Throwable?) :
        BackbeatException(Code.UNAVAILABLE, message, emptyList(), cause)

    class DeadlineExceeded(message: String, cause: Throwable?) :
        BackbeatException(Code.DEADLINE_EXCEEDED, message, emptyList(), cause)

    /** Any other code (internal, unimplemented, canceled, …). */
    class Other(code: Code, message: String, cause: Throwable?) :
        BackbeatException(code, message, emptyList(), cause)

    companion object {
        private const val BAD_REQUEST = "google.rpc.BadRequest"

        // Tags of length-delimited fields 1 and 2: (number << 3) | 2.
        private const val TAG_1 = (1 shl 3) or 2
        private const val TAG_2 = (2 shl 3) or 2

        /** Types a connect-kotlin failure. */
        @JvmStatic
        fun from(e: ConnectException): BackbeatException {
            val message = e.message ?: e.exception?.message ?: e.code.codeName
            return when (e.code) {
                Code.INVALID_ARGUMENT -> InvalidArgument(message, violationsOf(e), e)
                Code.UNAUTHENTICATED -> Unauthenticated(message, e)
                Code.PERMISSION_DENIED -> PermissionDenied(message, e)
                Code.NOT_FOUND -> NotFound(message, e)
                Code.ALREADY_EXISTS -> AlreadyExists(message, e)
                Code.FAILED_PRECONDITION -> FailedPrecondition(message, e)
                Code.UNAVAILABLE -> Unavailable(message, e)
                Code.DEADLINE_EXCEEDED -> DeadlineExceeded(message, e)
                else -> Other(e.code, message, e)
            }
        }

        private fun violationsOf(e: ConnectException): List<FieldViolation> =
            e.details
                // The Connect protocol names the type; gRPC's parser keeps the type URL.
                .filter { it.type == BAD_REQUEST || it.type.endsWith("/$BAD_REQUEST") }
                .flatMap { runCatching { parseBadRequest(it.payload.toByteArray()) }.getOrDefault(emptyList()) }

        // google.rpc.BadRequest { repeated FieldViolation field_violations = 1; }
        // FieldViolation { string field = 1; string description = 2; ... }
        // Read by hand: the lite runtime has no generated class for it, and two
        // strings do not justify a dependency.
        private fun parseBadRequest(bytes: ByteArray): List<FieldViolation> {
            val out = mutableListOf<FieldViolation>()
            val input = CodedInputStream.newInstance(bytes)
            while (true) {
                val tag = input.readTag()
                if (tag == 0) break
                if (tag == TAG_1) {
                    out += parseFieldViolation(input.readByteArray())
                } else if (!input.skipField(tag)) {
                    break
                }
            }
            return out
        }

        private fun parseFieldViolation(bytes: ByteArray): FieldViolation {
            var field = ""
            var description = ""
            val input = CodedInputStream.newInstance(bytes)
            while (true) {
                val tag = input.readTag()
                if (tag == 0) break
                when (tag) {
                    TAG_1 -> field = input.readStringRequireUtf8()
                    TAG_2 -> description = input.readStringRequireUtf8()
                    else -> if (!input.skipField(tag)) break
                }
            }
            return FieldViolation(field, description)
        }
    }
}

/** The message of a successful call, or a [BackbeatException] for a failed one. */
fun <T> ResponseMessage<T>.orThrow(): T = when (this) {
    is ResponseMessage.Success -> message
    is ResponseMessage.Failure -> throw BackbeatException.from(cause)
}
