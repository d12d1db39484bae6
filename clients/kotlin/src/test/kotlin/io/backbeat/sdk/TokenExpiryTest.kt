package io.backbeat.sdk

import backbeat.catalog.v1.searchRequest
import backbeat.user.v1.getMeRequest
import io.backbeat.sdk.LiveServer.LISTENER
import io.backbeat.sdk.LiveServer.PASSWORD
import io.backbeat.sdk.LiveServer.client
import io.backbeat.sdk.LiveServer.liveTest
import kotlinx.coroutines.delay
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Tag
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.EnumSource

/**
 * Real expiry: test.sh runs this class alone against a server started with
 * `--access-ttl 2s`, so a token from Login really expires.
 */
@Tag("expiry")
class TokenExpiryTest {

    @ParameterizedTest
    @EnumSource(value = Protocol::class, names = ["CONNECT", "GRPC"])
    fun `a call after the access token expired refreshes it and succeeds`(protocol: Protocol) = liveTest {
        val wire = WireLog()
        client(protocol, okHttpClient = wire.okHttp()).use { backbeat ->
            backbeat.login(LISTENER, PASSWORD)
            val first = backbeat.tokens.load()!!
            assertEquals(LISTENER, backbeat.users.getMe(getMeRequest {}).orThrow().user.username)
            assertEquals(0, backbeat.refreshCount)

            delay(3_500) // past the 2s lifetime (JWT times are whole seconds)

            val hits = backbeat.catalog.search(searchRequest { query = "lodz" }).orThrow()
            assertTrue(hits.resultsList.any { it.displayName() == "Łódź Brass Ensemble" })
            assertEquals(1, backbeat.refreshCount)
            val second = backbeat.tokens.load()!!
            assertNotEquals(first.accessToken, second.accessToken)
            assertNotEquals(first.refreshToken, second.refreshToken)
            assertEquals(
                listOf("Search", "RefreshToken", "Search"),
                wire.exchanges.map { it.path.substringAfterLast('/') }.takeLast(3),
            )
        }
    }
}
