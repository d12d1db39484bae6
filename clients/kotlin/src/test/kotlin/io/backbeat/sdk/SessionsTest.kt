package io.backbeat.sdk

import backbeat.user.v1.getMeRequest
import backbeat.user.v1.getUserRequest
import backbeat.user.v1.refreshTokenRequest
import io.backbeat.sdk.LiveServer.PASSWORD
import io.backbeat.sdk.LiveServer.client
import io.backbeat.sdk.LiveServer.liveTest
import io.backbeat.sdk.LiveServer.uniqueName
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Changing a password, signing out everywhere, and an admin's hold on accounts. */
class SessionsTest {
    private val secret = "correct horse battery"

    private class Two(val here: BackbeatClient, val elsewhere: BackbeatClient, val username: String, val id: String)

    /** A new account signed in on two clients. */
    private suspend fun twoSessions(): Two {
        val name = uniqueName("ses")
        val here = client()
        val id = here.register(name, "$name@example.com", secret).user.id
        val elsewhere = client().also { it.login(name, secret) }
        return Two(here, elsewhere, name, id)
    }

    @Test
    fun `changePassword keeps this client signed in and ends the other sessions`() = liveTest {
        val s = twoSessions()
        s.here.use { here ->
            s.elsewhere.use { elsewhere ->
                assertThrows<BackbeatException.PermissionDenied> { here.changePassword("not the password", "a brand new passphrase") }
                val short = assertThrows<BackbeatException.InvalidArgument> { here.changePassword(secret, "short") }
                assertEquals("new_password", short.field)

                val before = here.tokens.load()!!.accessToken
                here.changePassword(secret, "a brand new passphrase")
                assertNotEquals(before, here.tokens.load()!!.accessToken)
                assertEquals(s.username, here.users.getMe(getMeRequest {}).orThrow().user.username)
                // The other client's refresh is refused too: it ends signed out.
                assertThrows<BackbeatException.Unauthenticated> { elsewhere.users.getMe(getMeRequest {}).orThrow() }
                assertFalse(elsewhere.isSignedIn)
            }
        }
        client().use { it.login(s.username, "a brand new passphrase") }
    }

    @Test
    fun `logoutEverywhere ends every session of the account`() = liveTest {
        val s = twoSessions()
        s.here.use { here ->
            s.elsewhere.use { elsewhere ->
                val held = here.tokens.load()!!.refreshToken
                here.logoutEverywhere()
                assertFalse(here.isSignedIn)
                assertThrows<BackbeatException.Unauthenticated> { elsewhere.users.getMe(getMeRequest {}).orThrow() }
                client().use { c ->
                    assertThrows<BackbeatException.Unauthenticated> {
                        c.users.refreshToken(refreshTokenRequest { refreshToken = held }).orThrow()
                    }
                }
            }
        }
    }

    @Test
    fun `an admin disables, enables and ends the sessions of an account`() = liveTest {
        val adminName = System.getenv("BACKBEAT_ADMIN")?.takeIf { it.isNotBlank() }
            ?: error("BACKBEAT_ADMIN is not set: clients/with-server.sh makes one")
        val s = twoSessions()
        s.elsewhere.close()
        client().use { admin ->
            admin.login(adminName, PASSWORD)
            s.here.use { victim ->
                assertTrue(admin.disableUser(s.id).disabled)
                assertThrows<BackbeatException.Unauthenticated> { victim.users.getMe(getMeRequest {}).orThrow() }
                val refused = client().use { c -> assertThrows<BackbeatException.PermissionDenied> { c.login(s.username, secret) } }
                assertTrue(refused.message.contains("account disabled"), refused.message)
                assertTrue(admin.users.getUser(getUserRequest { userId = s.id }).orThrow().user.disabled)

                assertFalse(admin.enableUser(s.id).disabled)
                client().use { back ->
                    back.login(s.username, secret)
                    assertEquals(s.id, back.users.getMe(getMeRequest {}).orThrow().user.id)
                    admin.endUserSessions(s.id)
                    assertThrows<BackbeatException.Unauthenticated> { back.users.getMe(getMeRequest {}).orThrow() }
                    assertFalse(back.isSignedIn)
                }
            }
        }
        client().use { self ->
            self.login(s.username, secret)
            assertThrows<BackbeatException.PermissionDenied> { self.disableUser(s.id) }
        }
    }
}
