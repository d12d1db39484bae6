package io.backbeat.sdk

import backbeat.user.v1.getMeRequest
import com.connectrpc.Code
import io.backbeat.sdk.LiveServer.client
import io.backbeat.sdk.LiveServer.liveTest
import io.backbeat.sdk.LiveServer.uniqueName
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.EnumSource
import java.time.Duration

class RetryDelayTest {

    @ParameterizedTest
    @EnumSource(Protocol::class)
    fun `repeated wrong passwords give a retry delay`(protocol: Protocol) = liveTest {
        val name = uniqueName("retry")
        client(protocol).use { backbeat ->
            backbeat.register(name, "$name@example.com", "correct horse battery")
            var refused: BackbeatException? = null
            for (i in 1..10) {
                try {
                    backbeat.login(name, "wrong password")
                } catch (e: BackbeatException) {
                    if (e.code == Code.RESOURCE_EXHAUSTED) {
                        refused = e
                        break
                    }
                    assertEquals(Code.UNAUTHENTICATED, e.code)
                }
            }
            assertNotNull(refused, "no resource_exhausted after 10 wrong passwords")
            val delay = retryDelay(refused!!)
            assertNotNull(delay)
            assertTrue(delay!! > Duration.ZERO && delay <= Duration.ofMinutes(1), "delay $delay")
        }
    }

    @Test
    fun `other failures have no retry delay`() = liveTest {
        client().use { backbeat ->
            val e = assertThrows<BackbeatException.Unauthenticated> { backbeat.users.getMe(getMeRequest {}).orThrow() }
            assertNull(retryDelay(e))
        }
        assertNull(retryDelay(IllegalStateException("plain")))
    }
}
